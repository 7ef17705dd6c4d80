/**
 * `team share | unshare | status`: copying what this repository's bucket learned into
 * the shared store of the checkout, taking it out again, and showing how the two agree.
 *
 * What may leave the machine (eligible): repository memory (scope global), recall notes and
 * managed skills that are active (applied automatically or approved in review), carry no
 * redaction marker and no planted-instruction flag, and name no local absolute path outside the
 * repository. Never: USER entries (the person's own preferences), anything staged for human
 * review, anything a content check flagged. Before a file is written the text is redacted once
 * more as a last guard: an entry in which the redactor still finds a secret is refused.
 *
 * Nothing is committed or pushed: the person reviews `git diff` and commits like any change.
 * Writes are atomic, refuse symlinks on the way (store folder, `.agents/skills/<name>`, the file),
 * and file names come only from ids that match {@link TEAM_ID_RE}.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { AppError, UsageError } from '../errors.js';
import { utcNow } from '../constants.js';
import { parseJsonWith, writeFileAtomic } from '../fs/atomic.js';
import { repoIdentity, type StatePaths } from '../paths.js';
import { loadMemory, type MemoryEntry } from '../memory/view.js';
import {
  partitionValid,
  RecallIndexSchema,
  RecallRecordSchema,
  SkillManifestSchema,
  type RecallRecord,
} from '../schemas.js';
import { redactText } from '../redact/redact.js';
import { listStagedItems } from '../memory/review-store.js';
import { mentionedPaths } from '../memory/maintain.js';
import { gitInfo } from '../git.js';
import { qualityGate, skillBody, yamlQuote } from '../skills/publish.js';
import { mergeTeamMemory, normalizeText, type TeamConflict } from './merge.js';
import {
  TEAM_DIR,
  TEAM_ID_RE,
  TEAM_README,
  TEAM_SKILLS_DIR,
  isSafeRelativePath,
  loadTeamStore,
  parseTeamEntry,
  renderTeamEntry,
  teamFileName,
  teamStaleReason,
  worktreeRoot,
  type TeamEntryInput,
  type TeamStore,
} from './store.js';

/** The store cannot be written safely (a symlink on the way, not a checkout). */
export class TeamStoreError extends AppError {}

/** Statuses under which an entry counts as applied (absent = active). */
const SHAREABLE_STATUSES = new Set(['active', 'reviewed', 'approved', 'applied', 'auto']);
/** Absolute paths that are the same on every machine (a lesson may name /usr/bin/env). */
const SYSTEM_PREFIXES = [
  '/usr/',
  '/bin/',
  '/sbin/',
  '/etc/',
  '/dev/',
  '/proc/',
  '/sys/',
  '/lib/',
  '/lib64/',
  '/opt/homebrew/',
];
/** Roots under which an absolute path is someone's machine, not the project. */
const LOCAL_ROOTS =
  /^\/(?:Users|home|root|tmp|var|private|mnt|media|Volumes|opt|srv|data|work|workspaces?|scratch|nix)\//;
const ABSOLUTE_PATH_RE =
  /(?<![\w.~:/\\-])(?:~\/|\/(?=[\w.@+-]))[^\s"'`<>()[\]{},;]*|(?<![\w])[A-Za-z]:\\[^\s"'`<>]*/g;
const SKILL_MARKER_PREFIX = '<!-- shared by codex-self-evolution; skill: ';

/** One thing that could be shared, and why it may not be. */
export interface ShareCandidate {
  id: string;
  kind: 'memory' | 'recall' | 'skill';
  title: string;
  /** The text as it would be shared (paths inside the checkout made relative). */
  content: string;
  /** Skill description (skills only). */
  description?: string;
  sourcePaths: string[];
  sourceCommit: string | undefined;
  created: string;
  updated: string;
  confidence: number | undefined;
  supersedes: string[];
  provenance: string;
  /** Where it goes, relative to the checkout root. */
  target: string;
  /** Why it may not be shared; empty = eligible. */
  refused: string[];
}

/** The checkout of a bucket's working directory, or a clear error. */
export function checkoutRoot(paths: StatePaths): string {
  const root = worktreeRoot(paths.cwd);
  if (root === undefined)
    throw new UsageError(
      `${paths.cwd} is not inside a git checkout; the shared store lives at the root of one`,
    );
  if (join(root, TEAM_DIR) === paths.home)
    throw new TeamStoreError(
      `${join(root, TEAM_DIR)} is this machine's state home; ` +
        'a repository at the home directory cannot hold a shared store',
    );
  return root;
}

function str(raw: Record<string, unknown> | undefined, key: string): string | undefined {
  const v = raw?.[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Rewrites absolute paths inside the checkout as relative ones; returns the local paths outside it. */
export function localizePaths(text: string, root: string): { text: string; outside: string[] } {
  const outside: string[] = [];
  const rootFirst = root.split('/')[1] ?? '';
  const out = text.replace(ABSOLUTE_PATH_RE, (match) => {
    const path = match.replace(/[.:]+$/, '');
    const tail = match.slice(path.length);
    if (path === root) return `.${tail}`;
    if (path.startsWith(`${root}/`)) return `${path.slice(root.length + 1)}${tail}`;
    if (path.startsWith('~/') || /^[A-Za-z]:\\/.test(path)) outside.push(path);
    else if (SYSTEM_PREFIXES.some((p) => path.startsWith(p))) return match;
    else if (LOCAL_ROOTS.test(path) || (rootFirst !== '' && path.startsWith(`/${rootFirst}/`)))
      outside.push(path);
    return match;
  });
  return { text: out, outside };
}

function relativeSourcePaths(
  paths: readonly string[],
  root: string,
  content: string,
): { paths: string[]; outside: string[]; missing: string[] } {
  const out = new Set<string>();
  const outside: string[] = [];
  for (const p of paths) {
    if (isAbsolute(p)) {
      const rel = relative(root, p);
      if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) outside.push(p);
      else out.add(rel.split(sep).join('/'));
    } else if (isSafeRelativePath(p)) out.add(p.replace(/^\.\//, ''));
  }
  // A declared source already missing here would make the shared entry stale for every reader.
  const missing: string[] = [];
  for (const p of out) {
    try {
      lstatSync(join(root, p));
    } catch {
      missing.push(p);
    }
  }
  // Paths the text names that exist now: if they vanish, the shared entry is stale for readers.
  for (const p of mentionedPaths(content)) {
    if (!isSafeRelativePath(p)) continue;
    try {
      lstatSync(join(root, p));
      out.add(p);
    } catch {
      // Not a file of this checkout: nothing to watch.
    }
  }
  return { paths: [...out].sort(), outside, missing };
}

function commonRefusals(
  raw: Record<string, unknown> | undefined,
  status: string | undefined,
  texts: string[],
): string[] {
  const refused: string[] = [];
  if (status !== undefined && !SHAREABLE_STATUSES.has(status)) refused.push(`status: ${status}`);
  const flagged = raw?.flagged;
  if (flagged !== undefined && flagged !== false && flagged !== null) {
    const reason =
      typeof flagged === 'string'
        ? flagged
        : typeof (flagged as { reason?: unknown }).reason === 'string'
          ? (flagged as { reason: string }).reason
          : 'content check';
    refused.push(`flagged: ${reason}`);
  }
  const joined = texts.join('\n');
  if (joined.includes('[REDACTED:')) refused.push('redaction marker (a secret was removed from it)');
  else if (Object.keys(redactText(joined).counts).length > 0) refused.push('secret found by the redactor');
  return refused;
}

function provenanceOf(raw: Record<string, unknown> | undefined, kind: string): string {
  const list = Array.isArray(raw?.provenance) ? (raw.provenance as unknown[]) : [];
  const threads = new Set<string>();
  for (const p of list)
    if (p && typeof p === 'object' && typeof (p as { thread_id?: unknown }).thread_id === 'string')
      threads.add((p as { thread_id: string }).thread_id);
  const sessions = Math.max(1, threads.size);
  const confirmations =
    typeof raw?.confirmations === 'number' && raw.confirmations > 0 ? raw.confirmations : 0;
  const confirmed =
    confirmations > 0 ? `, confirmed ${confirmations} time${confirmations === 1 ? '' : 's'}` : '';
  return `codex-self-evolution: ${kind} learned from ${sessions} reviewed session${sessions === 1 ? '' : 's'}${confirmed}`;
}

/** Text of staged review items, so an entry still waiting for a human is recognised. */
function underReview(paths: StatePaths): Set<string> {
  const out = new Set<string>();
  for (const item of listStagedItems(paths)) {
    if (item.state !== 'staged') continue;
    const s = item.suggestion as { summary?: unknown; details?: { content?: unknown } };
    if (typeof s?.details?.content === 'string') out.add(normalizeText(s.details.content));
  }
  return out;
}

function memoryCandidate(
  e: MemoryEntry,
  root: string,
  head: () => string | undefined,
  review: Set<string>,
  now: string,
): ShareCandidate {
  const raw = e.record;
  const id = e.id ?? '';
  const { text: content, outside } = localizePaths(e.content, root);
  const { text: title, outside: titleOutside } = localizePaths(
    e.summary || e.content.split('\n')[0]!.slice(0, 80),
    root,
  );
  const src = relativeSourcePaths(e.sourcePaths, root, content);
  const refused: string[] = [];
  if (e.scope === 'user') refused.push('USER entry (personal preferences stay home)');
  if (id === '' || !TEAM_ID_RE.test(id)) refused.push('no stable id yet (the next compile gives it one)');
  refused.push(...commonRefusals(raw, e.status, [title, content]));
  if (review.has(normalizeText(e.content))) refused.push('under human review');
  const local = [...outside, ...titleOutside, ...src.outside];
  if (local.length > 0) refused.push(`names a local path outside the repository: ${local[0]}`);
  if (src.missing.length > 0)
    refused.push(`source path missing from the checkout: ${src.missing[0]} (stale?)`);
  const created = str(raw, 'created_at') ?? now;
  const commit = str(raw, 'source_commit');
  return {
    id,
    kind: 'memory',
    title,
    content,
    sourcePaths: src.paths,
    sourceCommit: commit && /^[0-9a-f]{7,64}$/.test(commit) ? commit : head(),
    created,
    updated: str(raw, 'updated_at') ?? created,
    confidence: e.confidence,
    supersedes: Array.isArray(raw?.supersedes)
      ? (raw.supersedes as unknown[]).filter((x): x is string => typeof x === 'string' && TEAM_ID_RE.test(x))
      : [],
    provenance: provenanceOf(raw, 'lesson'),
    target: `${TEAM_DIR}/${teamFileName(id) ?? '?'}`,
    refused,
  };
}

/** The valid records of `recall/index.json` (none when it is missing or damaged). */
function readRecallRecords(paths: StatePaths): RecallRecord[] {
  try {
    const data = parseJsonWith(RecallIndexSchema, readFileSync(paths.recallIndex, 'utf8'));
    return partitionValid(RecallRecordSchema, data.records).valid;
  } catch {
    return [];
  }
}

function recallCandidate(
  r: RecallRecord,
  paths: StatePaths,
  root: string,
  head: () => string | undefined,
  review: Set<string>,
  now: string,
): ShareCandidate {
  const id = r.id;
  const { text: content, outside } = localizePaths(r.content, root);
  const { text: title, outside: titleOutside } = localizePaths(r.summary, root);
  const src = relativeSourcePaths(r.source_paths, root, content);
  const refused: string[] = [];
  if (!TEAM_ID_RE.test(id)) refused.push('id is not a safe file name');
  if (
    typeof r.repo_fingerprint === 'string' &&
    r.repo_fingerprint !== '' &&
    r.repo_fingerprint !== paths.repoFingerprint
  )
    refused.push('learned in another repository');
  refused.push(...commonRefusals(r, str(r, 'status'), [title, content]));
  if (review.has(normalizeText(r.content))) refused.push('under human review');
  const local = [...outside, ...titleOutside, ...src.outside];
  if (local.length > 0) refused.push(`names a local path outside the repository: ${local[0]}`);
  if (src.missing.length > 0)
    refused.push(`source path missing from the checkout: ${src.missing[0]} (stale?)`);
  const created = str(r, 'created_at') ?? str(r, 'source_updated_at') ?? now;
  const commit = str(r, 'source_commit');
  return {
    id,
    kind: 'recall',
    title,
    content,
    sourcePaths: src.paths,
    sourceCommit: commit && /^[0-9a-f]{7,64}$/.test(commit) ? commit : head(),
    created,
    updated: str(r, 'last_confirmed_at') ?? created,
    confidence: undefined,
    supersedes: [],
    provenance: provenanceOf(r, 'recall note'),
    target: `${TEAM_DIR}/${teamFileName(id) ?? '?'}`,
    refused,
  };
}

function skillCandidates(
  paths: StatePaths,
  root: string,
  head: () => string | undefined,
  now: string,
): ShareCandidate[] {
  let list: unknown[];
  try {
    list = parseJsonWith(SkillManifestSchema, readFileSync(paths.skillsManifest, 'utf8')).skills;
  } catch {
    return [];
  }
  const out: ShareCandidate[] = [];
  for (const item of list) {
    if (item === null || typeof item !== 'object') continue;
    const e = item as Record<string, unknown>;
    const id = typeof e.skill_id === 'string' ? e.skill_id : '';
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(id)) continue;
    if (e.status === 'retired') continue;
    let text: string | undefined;
    try {
      text = readFileSync(join(paths.skillsManagedDir, `${id}.md`), 'utf8');
    } catch {
      text = undefined;
    }
    const entry = {
      skill_id: id,
      title: String(e.title ?? ''),
      description: typeof e.description === 'string' ? e.description : '',
      status: String(e.status ?? ''),
      managed: e.managed === true,
      ...(typeof e.owner === 'string' ? { owner: e.owner } : {}),
    };
    const body = text === undefined ? '' : skillBody(text);
    const { text: content, outside } = localizePaths(body, root);
    const { text: description, outside: descOutside } = localizePaths(entry.description, root);
    const refused: string[] = [];
    const gate = qualityGate(entry, text);
    if (gate !== undefined) refused.push(`not publishable: ${gate}`);
    refused.push(...commonRefusals(e, undefined, [entry.title, description, content]));
    const local = [...outside, ...descOutside];
    if (local.length > 0) refused.push(`names a local path outside the repository: ${local[0]}`);
    const created = str(e, 'created_at') ?? str(e, 'updated_at') ?? now;
    out.push({
      id,
      kind: 'skill',
      title: entry.title,
      content,
      description,
      sourcePaths: [],
      sourceCommit: str(e, 'source_commit') ?? head(),
      created,
      updated: str(e, 'updated_at') ?? created,
      confidence: undefined,
      supersedes: [],
      provenance: provenanceOf(e, 'skill'),
      target: `${TEAM_SKILLS_DIR.split(sep).join('/')}/${id}/SKILL.md`,
      refused,
    });
  }
  return out;
}

/** Every memory entry, recall note and skill of the bucket, with why each may or may not be shared. */
export function shareCandidates(paths: StatePaths, root: string, now: string = utcNow()): ShareCandidate[] {
  let headCache: string | null | undefined;
  const head = () => {
    if (headCache === undefined) headCache = gitInfo(root)?.head ?? null;
    return headCache ?? undefined;
  };
  const review = underReview(paths);
  const memory = loadMemory(paths);
  const out: ShareCandidate[] = [];
  for (const e of memory.entries) out.push(memoryCandidate(e, root, head, review, now));
  for (const r of readRecallRecords(paths)) out.push(recallCandidate(r, paths, root, head, review, now));
  out.push(...skillCandidates(paths, root, head, now));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

const README_TEXT = `# Team memory (codex-self-evolution)

This folder holds what coding agents learned about this repository and what a teammate chose to
share: one Markdown file per lesson (\`kind: memory\`) or recall note (\`kind: recall\`), named by
its stable id. Shared skills live in \`.agents/skills/<name>/SKILL.md\`.

- Every teammate's agent reads this folder at session start and when recalling notes, from the
  working tree: \`git pull\` is all it takes to receive new lessons.
- Entries are plain text. Edit or delete them in a pull request like any other file; a deleted
  file is gone from the next session. Keep the front matter (\`id\`, \`kind\`, \`title\`) intact.
- \`source_paths\` lists files a lesson depends on; when one disappears the lesson is treated as
  stale and no longer injected.
- Add entries with \`codex-self-evolution team share\`; remove them with \`team unshare <id>\`.
  Personal preferences and anything that looked like a secret or a local path are never shared.
`;

/** Refuses a path component that is a symlink (or not a directory when `dir`). */
function assertNoSymlink(path: string, what: string, dir: boolean): boolean {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return false;
  }
  if (st.isSymbolicLink()) throw new TeamStoreError(`${what} is a symlink; refusing to write through it`);
  if (dir && !st.isDirectory()) throw new TeamStoreError(`${what} exists and is not a directory`);
  if (!dir && !st.isFile()) throw new TeamStoreError(`${what} exists and is not a regular file`);
  return true;
}

function ensureDir(root: string, rel: string): string {
  let current = root;
  for (const part of rel.split('/')) {
    current = join(current, part);
    if (!assertNoSymlink(current, rel === part ? part : relative(root, current), true))
      mkdirSync(current, { mode: 0o755 });
  }
  return current;
}

function writeText(target: string, text: string, label: string): void {
  assertNoSymlink(target, label, false);
  writeFileAtomic(target, text, { mode: 0o644, mkdir: false });
}

/** The SKILL.md text of a shared skill (Agent Skills front matter, our marker, the body). */
export function renderSharedSkill(c: ShareCandidate): string {
  const description = (c.description ?? '').replace(/\s+/g, ' ').trim().slice(0, 500);
  const marker = `${SKILL_MARKER_PREFIX}${c.id}; updated: ${c.updated}; edit freely, the team's copy -->`;
  return [
    '---',
    `name: ${c.id}`,
    `description: ${yamlQuote(description)}`,
    '---',
    '',
    `# ${c.title.replace(/\s+/g, ' ').trim()}`,
    '',
    marker,
    '',
    c.content.trim(),
    '',
  ].join('\n');
}

function entryInput(c: ShareCandidate, created: string): TeamEntryInput {
  return {
    id: c.id,
    kind: c.kind === 'recall' ? 'recall' : 'memory',
    title: c.title,
    content: c.content,
    created,
    updated: c.updated < created ? created : c.updated,
    sourceCommit: c.sourceCommit,
    sourcePaths: c.sourcePaths,
    supersedes: c.supersedes,
    confidence: c.confidence,
    provenance: c.provenance,
  };
}

/** What sharing one candidate did (or, with dry run, would do). */
export interface ShareOutcome {
  id: string;
  kind: ShareCandidate['kind'];
  title: string;
  target: string;
  action: 'created' | 'updated' | 'unchanged' | 'skipped' | 'refused';
  reason?: string;
}

function readIfFile(path: string): string | undefined {
  try {
    if (!lstatSync(path).isFile()) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function differsReason(c: ShareCandidate): string {
  return `the shared copy differs (edited in the repository?); edit ${c.target} or \`team unshare ${c.id}\` first`;
}

/** Decides and (unless dryRun) writes one eligible candidate. */
function shareOne(c: ShareCandidate, root: string, dryRun: boolean): ShareOutcome {
  const base = { id: c.id, kind: c.kind, title: c.title, target: c.target };
  // Last guard: the exact text about to be written goes through the redactor once more.
  if (c.kind === 'skill') {
    const text = renderSharedSkill(c);
    if (Object.keys(redactText(text).counts).length > 0 || text.includes('[REDACTED:'))
      return { ...base, action: 'refused', reason: 'secret found by the redactor' };
    const file = join(root, c.target);
    const current = readIfFile(file);
    if (current !== undefined) {
      if (!current.includes(`${SKILL_MARKER_PREFIX}${c.id};`))
        return {
          ...base,
          action: 'skipped',
          reason: `${c.target} exists and was not shared by codex-self-evolution`,
        };
      if (
        skillBody(current.replace(/^---[\s\S]*?\n---\n/, ''))
          .replace(/<!--[^\n]*-->/, '')
          .trim() === c.content.trim()
      )
        return { ...base, action: 'unchanged' };
      return {
        ...base,
        action: 'skipped',
        reason: differsReason(c),
      };
    }
    if (!dryRun) {
      const dir = ensureDir(root, `${TEAM_SKILLS_DIR.split(sep).join('/')}/${c.id}`);
      writeText(join(dir, 'SKILL.md'), text, c.target);
    }
    return { ...base, action: 'created' };
  }
  const name = teamFileName(c.id);
  if (name === undefined) return { ...base, action: 'refused', reason: 'id is not a safe file name' };
  const file = join(root, TEAM_DIR, name);
  const current = readIfFile(file);
  let created = c.created;
  if (current !== undefined) {
    const parsed = parseTeamEntry(current, name);
    if (parsed.ok) {
      if (
        normalizeText(parsed.entry.content) === normalizeText(c.content) &&
        parsed.entry.title === c.title.replace(/\s+/g, ' ').trim()
      )
        return { ...base, action: 'unchanged' };
      return {
        ...base,
        action: 'skipped',
        reason: differsReason(c),
      };
    }
    created = c.created;
  }
  const text = renderTeamEntry(entryInput(c, created));
  if (Object.keys(redactText(text).counts).length > 0 || text.includes('[REDACTED:'))
    return { ...base, action: 'refused', reason: 'secret found by the redactor' };
  if (!dryRun) {
    const dir = ensureDir(root, TEAM_DIR);
    const readme = join(dir, TEAM_README);
    if (readIfFile(readme) === undefined) writeText(readme, README_TEXT, `${TEAM_DIR}/${TEAM_README}`);
    writeText(file, text, c.target);
  }
  return { ...base, action: current === undefined ? 'created' : 'updated' };
}

/** Options of {@link shareEntries}. */
export interface ShareOptions {
  /** Ids (or unique id prefixes of 4+ characters) to share. */
  ids?: readonly string[];
  /** Share every eligible entry. */
  all?: boolean;
  dryRun?: boolean;
  now?: string;
}

/** Result of `team share`. */
export interface ShareResult {
  root: string;
  dry_run: boolean;
  outcomes: ShareOutcome[];
}

/**
 * Shares the named ids (each must exist and be eligible: a refusal is reported with its reason)
 * or, with `all`, every eligible entry. Never commits.
 */
export function shareEntries(paths: StatePaths, options: ShareOptions): ShareResult {
  const root = checkoutRoot(paths);
  const ids = options.ids ?? [];
  if (ids.length === 0 && !options.all)
    throw new UsageError('name the entries to share (see `team status`), or use --all');
  if (ids.length > 0 && options.all) throw new UsageError('give ids or --all, not both');
  const candidates = shareCandidates(paths, root, options.now);
  const outcomes: ShareOutcome[] = [];
  const chosen: ShareCandidate[] = [];
  if (options.all) {
    chosen.push(...candidates.filter((c) => c.refused.length === 0));
  } else {
    for (const id of ids) {
      const matches = candidates.filter((c) => c.id === id || (id.length >= 4 && c.id.startsWith(id)));
      const exact = matches.filter((c) => c.id === id);
      const pick = exact.length > 0 ? exact : matches;
      if (pick.length === 0)
        throw new UsageError(
          `no memory entry, recall note or skill ${JSON.stringify(id)} in this repository's bucket`,
          { hint: 'see `codex-self-evolution team status`' },
        );
      if (pick.length > 1)
        throw new UsageError(`${pick.length} entries start with ${id}; give more of the id`);
      const c = pick[0]!;
      if (c.refused.length > 0)
        outcomes.push({
          id: c.id,
          kind: c.kind,
          title: c.title,
          target: c.target,
          action: 'refused',
          reason: c.refused.join('; '),
        });
      else chosen.push(c);
    }
  }
  for (const c of chosen) outcomes.push(shareOne(c, root, options.dryRun === true));
  return { root, dry_run: options.dryRun === true, outcomes };
}

/** Removes a shared entry (or a skill shared by us) from the checkout. Returns the removed path. */
export function unshareEntry(paths: StatePaths, id: string): { root: string; removed: string } {
  if (!TEAM_ID_RE.test(id)) throw new UsageError(`not an entry id: ${JSON.stringify(id)}`);
  const root = checkoutRoot(paths);
  const store = loadTeamStore(root);
  const byId = store.entries.find((e) => e.id === id);
  const name = byId?.file ?? teamFileName(id)!;
  const file = join(store.dir, name);
  if (store.exists && readIfFile(file) !== undefined) {
    unlinkSync(file);
    return { root, removed: `${TEAM_DIR}/${name}` };
  }
  const skillDir = join(root, TEAM_SKILLS_DIR, id);
  const skill = join(skillDir, 'SKILL.md');
  const text = /^[a-z0-9][a-z0-9-]{0,63}$/.test(id) ? readIfFile(skill) : undefined;
  if (text !== undefined) {
    assertNoSymlink(join(root, '.agents'), '.agents', true);
    assertNoSymlink(join(root, TEAM_SKILLS_DIR), TEAM_SKILLS_DIR, true);
    assertNoSymlink(skillDir, `${TEAM_SKILLS_DIR}/${id}`, true);
    if (!text.includes(`${SKILL_MARKER_PREFIX}${id};`))
      throw new UsageError(
        `${TEAM_SKILLS_DIR}/${id}/SKILL.md was not shared by codex-self-evolution; ` +
          'remove it by hand if you mean to',
      );
    unlinkSync(skill);
    try {
      rmdirSync(skillDir);
    } catch {
      // Other files in the folder stay, with the folder.
    }
    return { root, removed: `${TEAM_SKILLS_DIR.split(sep).join('/')}/${id}/SKILL.md` };
  }
  throw new UsageError(`${id} is not in the shared store of ${root}`, {
    hint: 'see `codex-self-evolution team status`',
  });
}

// ---------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------

/** `team status`. */
export interface TeamStatus {
  root: string;
  store: string;
  exists: boolean;
  shared: Array<{ id: string; kind: string; title: string; file: string; stale: string | null }>;
  shared_skills: string[];
  /** Local entries that may be shared and are not in the store yet (or differ from it). */
  eligible: Array<{ id: string; kind: string; title: string; target: string; state: 'new' | 'differs' }>;
  /** Local entries that may not be shared, with why. */
  not_eligible: Array<{ id: string; kind: string; title: string; reasons: string[] }>;
  conflicts: TeamConflict[];
  stale: Array<{ id: string; file: string; reason: string }>;
  /** Store files that were skipped (malformed and the like). */
  problems: string[];
}

function sharedSkills(root: string): string[] {
  const dir = join(root, TEAM_SKILLS_DIR);
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.filter(
    (n) => readIfFile(join(dir, n, 'SKILL.md'))?.includes(`${SKILL_MARKER_PREFIX}${n};`) === true,
  );
}

/** What is shared, what could be, where the team and personal entries disagree, what is stale. */
export function teamStatus(paths: StatePaths): TeamStatus {
  const root = checkoutRoot(paths);
  const store: TeamStore = loadTeamStore(root, { stateHome: paths.home });
  const byId = new Map(store.entries.map((e) => [e.id, e]));
  const skills = new Set(sharedSkills(root));
  const candidates = shareCandidates(paths, root);
  const eligible: TeamStatus['eligible'] = [];
  const notEligible: TeamStatus['not_eligible'] = [];
  for (const c of candidates) {
    if (c.refused.length > 0) {
      notEligible.push({ id: c.id, kind: c.kind, title: c.title, reasons: c.refused });
      continue;
    }
    if (c.kind === 'skill') {
      if (!skills.has(c.id))
        eligible.push({ id: c.id, kind: c.kind, title: c.title, target: c.target, state: 'new' });
      continue;
    }
    const shared = byId.get(c.id);
    if (shared === undefined)
      eligible.push({ id: c.id, kind: c.kind, title: c.title, target: c.target, state: 'new' });
    else if (normalizeText(shared.content) !== normalizeText(c.content))
      eligible.push({ id: c.id, kind: c.kind, title: c.title, target: c.target, state: 'differs' });
  }
  const stale: TeamStatus['stale'] = [];
  const shared = store.entries.map((e) => {
    const reason = teamStaleReason(e, root);
    if (reason !== undefined) stale.push({ id: e.id, file: `${TEAM_DIR}/${e.file}`, reason });
    return { id: e.id, kind: e.kind, title: e.title, file: `${TEAM_DIR}/${e.file}`, stale: reason ?? null };
  });
  const merged = mergeTeamMemory(loadMemory(paths).entries, store.entries, root);
  return {
    root,
    store: store.dir,
    exists: store.exists,
    shared,
    shared_skills: [...skills],
    eligible,
    not_eligible: notEligible,
    conflicts: merged.conflicts,
    stale,
    problems: store.problems,
  };
}

/**
 * `[team] auto_share`: writes every eligible entry that is not in the store yet into the working
 * tree (never updates a shared file, never commits). Returns what was written.
 */
export function autoShare(paths: StatePaths): ShareOutcome[] {
  const root = worktreeRoot(paths.cwd);
  // Only a checkout of the bucket's own repository (a vanished one must not fall through to a parent).
  if (root === undefined || !existsSync(paths.cwd) || repoIdentity(root) !== paths.repoKey) return [];
  const result = shareEntries(paths, { all: true });
  return result.outcomes.filter((o) => o.action === 'created');
}
