/**
 * Native Codex skills: the active managed skills of one repository, written where Codex loads
 * skills (`$CODEX_HOME/skills/<name>/SKILL.md`, Agent Skills frontmatter), and reconciled on
 * every call: new and changed skills are written, retired, vanished or no-longer-passing ones
 * are removed.
 *
 * Fixes of the Python package's projection:
 * - Names are namespaced per repository, `csep-<repo-slug>-<hash6>-<skill>` (≤ 64 chars of
 *   [a-z0-9-], equal to the folder name), so two repositories never collide, and the
 *   description starts with the repository it was learned in: Codex lists every user skill in
 *   every session, so a skill must say where it applies.
 * - Reconciliation covers all active skills, not only this batch's, and removes what vanished.
 * - It only ever touches folders it created: each SKILL.md carries a marker comment naming the
 *   repository's fingerprint, and a ledger (`<home>/native-skills.json`) records the hash of
 *   what was written, so a SKILL.md edited by hand is left alone (reported, not overwritten).
 *   Folders of the Python original (`csep-<id>`) and of anyone else are never modified.
 * - Frontmatter values are single-line, JSON-quoted (valid YAML) with control and line-separator
 *   characters escaped; descriptions are capped at 500 characters (Codex's limit).
 * - The quality gate keeps the Python package's intent without its substring quirks: a description
 *   must say when to use the skill, and the content must have some substance (≥ 12 words).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { PLUGIN_OWNER, utcNow } from '../constants.js';
import { readEnv } from '../env.js';
import { parseJsonWith, writeFileAtomic } from '../fs/atomic.js';
import { resolveHome, sha1 } from '../paths.js';

/** What publishing needs of a manifest entry (SkillManifestEntry fits). */
export const NativeSkillEntrySchema = z.looseObject({
  skill_id: z.string(),
  title: z.string(),
  description: z.string().optional(),
  status: z.string(),
  managed: z.boolean(),
  owner: z.string().optional(),
  updated_at: z.string().optional(),
});
export type NativeSkillEntry = z.infer<typeof NativeSkillEntrySchema>;

/** Options of `reconcileNativeSkills`. */
export interface ReconcileNativeSkillsOptions {
  /** The agent's skills folder (`AgentAdapter.skillsDir`); default `<codexHome>/skills`. */
  skillsRoot?: string;
  /** Codex home; skills go to `<codexHome>/skills` (default `$CODEX_HOME`, else `~/.codex`). */
  codexHome?: string;
  /** The ledger of that folder (default `<home>/native-skills.json`, the default agent's folder's). */
  ledgerFile?: string;
  /** State home holding the ledger (default: `resolveHome()`). */
  home?: string;
  /** Repository identity (the bucket key, `StatePaths.repoKey`). */
  repoKey: string;
  /** Readable repository name (default: the last path component of `repoKey`). */
  repoName?: string;
  /** Every manifest entry of the repository (all of them, not only this batch's). */
  entries: readonly NativeSkillEntry[];
  /** The skill's text (`skills/managed/<id>.md`), or undefined when missing. */
  readSkillContent: (entry: NativeSkillEntry) => string | undefined;
  /**
   * False removes every skill this repository published (opt-out). Default: true unless
   * `CODEX_SELF_EVOLUTION_NATIVE_SKILLS` is `0`, `false`, `off` or `no`.
   */
  enabled?: boolean;
  /** Environment for the defaults (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  now?: Date;
}

/** What one call did. */
export interface ReconcileResult {
  skills_root: string;
  published: Array<{
    skill_id: string;
    name: string;
    path: string;
    action: 'created' | 'updated' | 'unchanged';
  }>;
  removed: Array<{ skill_id: string | null; name: string; path: string; reason: string }>;
  skipped: Array<{ skill_id: string; reason: string; name?: string }>;
  /** Projections of the Python original (`csep-<id>` with its marker): reported, never touched. */
  legacy_projections: string[];
  /** Per-skill I/O errors (the call itself never throws for I/O). */
  errors: Array<{ name: string; error: string }>;
  /** The same reconciliation in other agents' skills folders (Claude Code...), by agent. */
  agents?: Record<string, ReconcileResult>;
}

/** Most skills one repository publishes (Codex lists every skill in every prompt). */
export const MAX_SKILLS_PER_REPO = 25;
/** Codex's description limit. */
export const MAX_DESCRIPTION = 500;
/** Cap of a SKILL.md body. */
export const MAX_CONTENT = 20_000;
/** Minimum words of content. */
export const MIN_CONTENT_WORDS = 12;

const MARKER_PREFIX = '<!-- managed-by: codex-self-evolution;';
const MARKER_RE = /<!-- managed-by: codex-self-evolution; repo: ([0-9a-f]{40}); skill: ([a-z0-9-]+);/;
const LEGACY_MARKER = 'managed-by: codex-self-evolution-plugin';

/** Lower-case `[a-z0-9]` runs joined by single hyphens, trimmed. */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function cut(slug: string, max: number): string {
  return slug.slice(0, max).replace(/-+$/, '');
}

/** The repository part of names: `csep-<repo-slug>-<hash6>-`. */
export function repoPrefix(repoKey: string, repoName?: string): string {
  const name = cut(slugify(repoName ?? basename(repoKey)), 16) || 'repo';
  return `csep-${name}-${sha1(repoKey).slice(0, 6)}-`;
}

/** The skill's folder and frontmatter name (≤ 64 chars of [a-z0-9-], no `--`). */
export function nativeSkillName(repoKey: string, skillId: string, repoName?: string): string {
  const prefix = repoPrefix(repoKey, repoName);
  const room = 64 - prefix.length;
  const slug = slugify(skillId);
  if (slug !== '' && slug.length <= room) return prefix + slug;
  // Too long or empty: keep what fits and add a hash of the id so distinct ids stay distinct.
  const hash = sha1(skillId).slice(0, 6);
  const head = cut(slug, room - hash.length - 1);
  return `${prefix}${head ? `${head}-` : ''}${hash}`;
}

/** A YAML double-quoted scalar (JSON syntax, plus escapes YAML needs and JSON omits). */
export function yamlQuote(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\u009f\u2028\u2029\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Collapses all whitespace (newlines included) to single spaces. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

const WHEN_RE =
  /\b(use|used|using|when|whenever|before|after|while|during|if)\b|当|使用|用于|之前|之后|时候/i;

/** Words of a text: letter/number runs, each CJK character counting as one. */
export function countWords(text: string): number {
  return (
    text.match(
      /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|[\p{L}\p{N}][\p{L}\p{N}_'’-]*/gu,
    ) ?? []
  ).length;
}

/** The body of a managed skill file without its leading `# Title` line. */
export function skillBody(text: string): string {
  return text.replace(/^\uFEFF?\s*#[^\n]*\n/, '').trim();
}

/** Why an entry is not published, or undefined when it passes. */
export function qualityGate(entry: NativeSkillEntry, content: string | undefined): string | undefined {
  if (entry.status !== 'active') return `status:${entry.status}`;
  if (entry.managed !== true || (entry.owner !== undefined && entry.owner !== PLUGIN_OWNER))
    return 'not_managed';
  if (oneLine(entry.title ?? '') === '') return 'missing_title';
  const description = oneLine(entry.description ?? '');
  if (description === '') return 'missing_description';
  if (!WHEN_RE.test(description)) return 'weak_description';
  if (content === undefined || skillBody(content) === '') return 'missing_content';
  if (countWords(skillBody(content)) < MIN_CONTENT_WORDS) return 'low_signal';
  return undefined;
}

/** The SKILL.md text. */
export function renderNativeSkill(options: {
  name: string;
  repoKey: string;
  repoName: string;
  entry: NativeSkillEntry;
  content: string;
}): string {
  const { name, repoKey, repoName, entry, content } = options;
  let description = `For the ${oneLine(repoName)} repository: ${oneLine(entry.description ?? '')}`;
  if (description.length > MAX_DESCRIPTION)
    description = `${description.slice(0, MAX_DESCRIPTION - 1).trimEnd()}…`;
  let body = skillBody(content);
  if (body.length > MAX_CONTENT) body = `${body.slice(0, MAX_CONTENT).trimEnd()}\n\n(truncated)`;
  const marker = `${MARKER_PREFIX} repo: ${sha1(repoKey)}; skill: ${slugify(entry.skill_id) || 'skill'}; written by compile, edits are overwritten and the folder is removed when the skill is retired -->`;
  return [
    '---',
    `name: ${name}`,
    `description: ${yamlQuote(description)}`,
    '---',
    '',
    `# ${oneLine(entry.title)}`,
    '',
    marker,
    '',
    body,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Ledger
// ---------------------------------------------------------------------------------------------

/** One skill folder we wrote, in `<home>/native-skills.json`. */
const LedgerEntrySchema = z.looseObject({
  repo_fingerprint: z.string(),
  skill_id: z.string(),
  sha256: z.string(),
  written_at: z.string(),
});
type LedgerEntry = z.infer<typeof LedgerEntrySchema>;

/** The ledger: folder name → entry. Entries are checked one by one. */
const LedgerSchema = z.looseObject({ skills: z.record(z.string(), z.unknown()) });

interface Ledger {
  version: 1;
  skills: Record<string, LedgerEntry>;
}

/** `<home>/native-skills.json`. */
export function ledgerPath(home: string): string {
  return join(home, 'native-skills.json');
}

function readLedger(file: string): Ledger {
  const ledger: Ledger = { version: 1, skills: {} };
  try {
    // Missing, damaged or a damaged entry: the markers in the files are authoritative anyway.
    const data = parseJsonWith(LedgerSchema, readFileSync(file, 'utf8'), file);
    for (const [name, value] of Object.entries(data.skills)) {
      const entry = LedgerEntrySchema.safeParse(value);
      if (entry.success) ledger.skills[name] = entry.data;
    }
  } catch {
    // Start from an empty ledger.
  }
  return ledger;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

// ---------------------------------------------------------------------------------------------
// Reconcile
// ---------------------------------------------------------------------------------------------

/** Our folders under the skills root for a repository fingerprint: name → marker skill slug. */
function ownedFolders(root: string, fingerprint: string): Map<string, string> {
  const out = new Map<string, string>();
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return out;
  }
  for (const name of names) {
    if (!name.startsWith('csep-')) continue;
    let text: string;
    try {
      text = readFileSync(join(root, name, 'SKILL.md'), 'utf8');
    } catch {
      continue;
    }
    const m = MARKER_RE.exec(text);
    if (m && m[1] === fingerprint) out.set(name, m[2]!);
  }
  return out;
}

function legacyProjections(root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of [
    ...names,
    ...(existsSync(join(root, 'csep-managed'))
      ? readdirSync(join(root, 'csep-managed')).map((n) => join('csep-managed', n))
      : []),
  ]) {
    if (!basename(name).startsWith('csep-')) continue;
    try {
      if (readFileSync(join(root, name, 'SKILL.md'), 'utf8').includes(LEGACY_MARKER))
        out.push(join(root, name));
    } catch {
      // Not a skill folder.
    }
  }
  return out.sort();
}

/** Removes our SKILL.md and the folder when nothing else is in it. */
function removeFolder(dir: string): void {
  const file = join(dir, 'SKILL.md');
  if (existsSync(file)) unlinkSync(file);
  try {
    rmdirSync(dir);
  } catch {
    // Other files (added by someone else) stay, with the folder.
  }
}

/**
 * Publishes the active managed skills of one repository as native Codex skills and removes the
 * ones that should no longer be there. Safe to call after every compile; idempotent (unchanged
 * skills are not rewritten). Never throws for I/O: per-skill failures are in `errors`.
 *
 * ```ts
 * reconcileNativeSkills({
 *   home: paths.home,                          // ledger: <home>/native-skills.json
 *   // codexHome defaults to $CODEX_HOME or ~/.codex
 *   repoKey: paths.repoKey,
 *   entries: manifest.skills,                  // every entry, active and retired
 *   readSkillContent: (e) => readFileSync(join(paths.skillsManagedDir, `${e.skill_id}.md`), 'utf8'),
 * });
 * ```
 */
export function reconcileNativeSkills(options: ReconcileNativeSkillsOptions): ReconcileResult {
  const env = options.env ?? process.env;
  const codexHome = () => options.codexHome ?? readEnv('CODEX_HOME', env) ?? join(homedir(), '.codex');
  const switchValue = readEnv('CODEX_SELF_EVOLUTION_NATIVE_SKILLS', env)?.toLowerCase();
  const enabled = options.enabled ?? !['0', 'false', 'off', 'no'].includes(switchValue ?? '');
  const root = options.skillsRoot ?? join(codexHome(), 'skills');
  const home = options.home ?? resolveHome();
  const repoName = options.repoName ?? (basename(options.repoKey) || 'repository');
  const fingerprint = sha1(options.repoKey);
  const now = utcNow(options.now);
  const result: ReconcileResult = {
    skills_root: root,
    published: [],
    removed: [],
    skipped: [],
    legacy_projections: legacyProjections(root),
    errors: [],
  };
  const ledgerFile = options.ledgerFile ?? ledgerPath(home);
  const ledger = readLedger(ledgerFile);
  let ledgerChanged = false;

  // Desired skills: passing the gate, newest first, capped.
  const desired = new Map<string, { entry: NativeSkillEntry; text: string }>();
  const candidates = enabled ? [...options.entries] : [];
  candidates.sort(
    (a, b) => (b.updated_at ?? '').localeCompare(a.updated_at ?? '') || a.skill_id.localeCompare(b.skill_id),
  );
  for (const entry of candidates) {
    if (typeof entry.skill_id !== 'string' || entry.skill_id === '') continue;
    let content: string | undefined;
    try {
      content = entry.status === 'active' ? options.readSkillContent(entry) : undefined;
    } catch {
      content = undefined;
    }
    const reason = qualityGate(entry, content);
    if (reason !== undefined) {
      if (!reason.startsWith('status:')) result.skipped.push({ skill_id: entry.skill_id, reason });
      continue;
    }
    const name = nativeSkillName(options.repoKey, entry.skill_id, repoName);
    if (desired.has(name)) {
      result.skipped.push({ skill_id: entry.skill_id, reason: 'duplicate_name', name });
      continue;
    }
    if (desired.size >= MAX_SKILLS_PER_REPO) {
      result.skipped.push({ skill_id: entry.skill_id, reason: 'over_limit', name });
      continue;
    }
    desired.set(name, {
      entry,
      text: renderNativeSkill({ name, repoKey: options.repoKey, repoName, entry, content: content! }),
    });
  }

  const owned = ownedFolders(root, fingerprint);
  const editedByHand = (name: string, current: string | undefined): boolean => {
    const known = ledger.skills[name];
    return (
      current !== undefined &&
      known !== undefined &&
      known.repo_fingerprint === fingerprint &&
      known.sha256 !== sha256(current)
    );
  };
  const readCurrent = (name: string) => {
    try {
      return readFileSync(join(root, name, 'SKILL.md'), 'utf8');
    } catch {
      return undefined;
    }
  };

  for (const [name, { entry, text }] of desired) {
    const dir = join(root, name);
    const current = readCurrent(name);
    if (current !== undefined && !owned.has(name)) {
      result.skipped.push({ skill_id: entry.skill_id, reason: 'folder_not_ours', name });
      continue;
    }
    if (editedByHand(name, current)) {
      result.skipped.push({ skill_id: entry.skill_id, reason: 'edited_by_hand', name });
      continue;
    }
    if (current === undefined && existsSync(dir)) {
      // A folder without SKILL.md that we did not create.
      result.skipped.push({ skill_id: entry.skill_id, reason: 'folder_not_ours', name });
      continue;
    }
    const action = current === undefined ? 'created' : current === text ? 'unchanged' : 'updated';
    if (action !== 'unchanged') {
      try {
        mkdirSync(dir, { recursive: true });
        writeFileAtomic(join(dir, 'SKILL.md'), text, { mode: 0o644 });
      } catch (error) {
        result.errors.push({ name, error: error instanceof Error ? error.message : String(error) });
        continue;
      }
    }
    const hash = sha256(text);
    if (ledger.skills[name]?.sha256 !== hash || ledger.skills[name]?.repo_fingerprint !== fingerprint) {
      ledger.skills[name] = {
        repo_fingerprint: fingerprint,
        skill_id: entry.skill_id,
        sha256: hash,
        written_at: now,
      };
      ledgerChanged = true;
    }
    result.published.push({ skill_id: entry.skill_id, name, path: join(dir, 'SKILL.md'), action });
  }

  // Ours for this repository but no longer wanted: retired, vanished, failing the gate, or opted out.
  const reasons = new Map(
    options.entries.map((e) => [nativeSkillName(options.repoKey, e.skill_id, repoName), e]),
  );
  for (const name of owned.keys()) {
    if (desired.has(name)) continue;
    const current = readCurrent(name);
    const entry = reasons.get(name);
    if (editedByHand(name, current)) {
      result.skipped.push({
        skill_id: entry?.skill_id ?? ledger.skills[name]?.skill_id ?? name,
        reason: 'edited_by_hand',
        name,
      });
      continue;
    }
    const reason = !enabled
      ? 'disabled'
      : entry === undefined
        ? 'vanished'
        : entry.status !== 'active'
          ? 'retired'
          : (result.skipped.find((s) => s.skill_id === entry.skill_id)?.reason ?? 'not_published');
    try {
      removeFolder(join(root, name));
    } catch (error) {
      result.errors.push({ name, error: error instanceof Error ? error.message : String(error) });
      continue;
    }
    result.removed.push({ skill_id: entry?.skill_id ?? null, name, path: join(root, name), reason });
    if (ledger.skills[name]) {
      delete ledger.skills[name];
      ledgerChanged = true;
    }
  }
  // Ledger entries of this repository whose folder is gone (deleted by hand).
  for (const [name, known] of Object.entries(ledger.skills)) {
    if (
      known.repo_fingerprint === fingerprint &&
      !desired.has(name) &&
      !existsSync(join(root, name, 'SKILL.md'))
    ) {
      delete ledger.skills[name];
      ledgerChanged = true;
    }
  }

  if (ledgerChanged) {
    try {
      // Merge with what other repositories wrote meanwhile: only this repository's rows are ours.
      const fresh = readLedger(ledgerFile);
      for (const [name, row] of Object.entries(fresh.skills))
        if (row.repo_fingerprint === fingerprint) delete fresh.skills[name];
      for (const [name, row] of Object.entries(ledger.skills))
        if (row.repo_fingerprint === fingerprint) fresh.skills[name] = row;
      const sorted = Object.fromEntries(Object.entries(fresh.skills).sort(([a], [b]) => a.localeCompare(b)));
      writeFileAtomic(ledgerFile, `${JSON.stringify({ version: 1, skills: sorted }, null, 2)}\n`);
    } catch (error) {
      result.errors.push({ name: ledgerFile, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return result;
}
