/**
 * SessionStart: the learned background of a repository, within a size budget.
 *
 * Agents truncate injected context past ~10 KB, so the text is built to a budget (8,000 chars by
 * default): the recall contract is always kept, then USER entries, then MEMORY entries (higher
 * confidence and newer first), then the managed-skills list; whatever does not fit is counted in
 * a closing line that says how to see it. Stale or superseded entries are never injected.
 */
import type { StatePaths } from './paths.js';
import {
  isActive,
  loadActiveSkills,
  loadMemory,
  type MemoryEntry,
  type SkillListing,
} from './memory/view.js';
import { csepCommand, readPrompt } from './prompts.js';
import { mergeTeamMemory } from './team/merge.js';
import { loadTeamStore, worktreeRoot } from './team/store.js';

export const DEFAULT_CONTEXT_BUDGET = 8000;
/**
 * Below this a budget cannot hold the header, the recall contract (which names the recall command
 * by its absolute path, up to ~200 characters) and the closing note; smaller values become this.
 */
export const MIN_CONTEXT_BUDGET = 1600;
/** How the team section names the shared store. */
const TEAM_LABEL = '.codex-self-evolution/';

export interface SessionContext {
  /** The `additionalContext` text. */
  text: string;
  included: { user: number; global: number; skills: number };
  omitted: { user: number; global: number; skills: number; inactive: number };
  budget: number;
  memorySource: 'memory.json' | 'markdown' | 'none';
  /** Problems met while reading state (damaged files); callers log them. */
  problems: string[];
  /**
   * Every memory entry and what became of it: `injected`,
   * `budget` (active but left out to stay within the budget), or its inactive status.
   */
  decisions: Array<{ entry: MemoryEntry; outcome: 'injected' | 'budget' | 'inactive' }>;
  /** Ids of the injected entries (the hook counts them in `memory/usage.log`). */
  injectedIds: string[];
  /** The shared team store of the checkout, when it was read and has entries. */
  team?: TeamContext;
}

/** What session start did with the shared store of the checkout. */
export interface TeamContext {
  /** The store folder. */
  dir: string;
  included: number;
  /** Active shared entries left out to stay within the budget. */
  omitted: number;
  /** Shared entries left out with the reason (stale, duplicate, superseded...). */
  hidden: Array<{ id: string; file: string; reason: string; detail?: string }>;
  /** Personal entries a shared entry replaced for this session (ids). */
  replacedPersonal: string[];
  injectedIds: string[];
}

function renderEntry(e: MemoryEntry): string {
  const heading = e.summary || e.content.split('\n')[0]!.slice(0, 80);
  return `### ${heading}\n${e.content}\n`;
}

function renderSkill(s: SkillListing): string {
  return `- \`${s.skillId}\`: ${s.title}${s.description ? ` (${s.description.replace(/\s+/g, ' ').slice(0, 200)})` : ''}\n`;
}

/** Priority of an entry when the budget is short: user scope, then confidence, then recency. */
function priority(e: MemoryEntry): number {
  return (e.scope === 'user' ? 10 : 0) + e.confidence * 5 + e.position / 10_000;
}

/** Builds the injected background for a state dir. Never throws for damaged state. */
export function buildSessionContext(
  paths: StatePaths,
  options: { budgetChars?: number; team?: boolean } = {},
): SessionContext {
  const budget = Math.max(MIN_CONTEXT_BUDGET, Math.floor(options.budgetChars ?? DEFAULT_CONTEXT_BUDGET));
  const memory = loadMemory(paths);
  const skills = loadActiveSkills(paths);
  const problems = [...memory.problems, ...skills.problems];
  let active = memory.entries.filter(isActive);
  const inactive = memory.entries.length - active.length;

  // The shared store of the checkout, merged with the personal entries.
  const teamRoot = options.team ? worktreeRoot(paths.cwd) : undefined;
  const store = teamRoot !== undefined ? loadTeamStore(teamRoot, { stateHome: paths.home }) : undefined;
  if (store) problems.push(...store.problems);
  const merged =
    store && store.entries.length > 0
      ? mergeTeamMemory(memory.entries, store.entries, store.root)
      : undefined;
  const teamEntries = merged?.active.map((a) => a.entry) ?? [];
  if (merged) active = active.filter((e) => !merged.hiddenPersonal.has(e));

  const header =
    '# Stable Background\n\nLearned by codex-self-evolution from earlier sessions in this repository. ' +
    'Treat it as background knowledge; the code wins when they disagree.\n';
  const contract = `## Recall Contract\n\n${readPrompt('recall-contract.md').trim()}\n`;
  // The closing note names the recall command, whose length depends on where the package lives.
  const reserveForFooter = 220 + csepCommand().length;
  let remaining = budget - header.length - contract.length - reserveForFooter - 64;

  // Greedy by priority; rendering keeps file order inside each section.
  const chosen = new Set<MemoryEntry>();
  for (const entry of [...active, ...teamEntries].sort((a, b) => priority(b) - priority(a))) {
    const cost = renderEntry(entry).length + 1;
    if (cost <= remaining) {
      chosen.add(entry);
      remaining -= cost;
    }
  }
  const chosenSkills: SkillListing[] = [];
  for (const skill of skills.skills) {
    const cost = renderSkill(skill).length;
    if (cost <= remaining) {
      chosenSkills.push(skill);
      remaining -= cost;
    }
  }

  const section = (title: string, entries: MemoryEntry[]) =>
    entries.length === 0
      ? `## ${title}\n\n_No entries yet._\n`
      : `## ${title}\n\n${entries.map(renderEntry).join('\n')}`;
  const user = active.filter((e) => e.scope === 'user' && chosen.has(e));
  const global = active.filter((e) => e.scope === 'global' && chosen.has(e));
  const parts = [header, section('USER.md', user), section('MEMORY.md', global)];
  const team = teamEntries.filter((e) => chosen.has(e));
  if (team.length > 0)
    parts.push(`## Team (shared in the repository's ${TEAM_LABEL})\n\n${team.map(renderEntry).join('\n')}`);
  if (chosenSkills.length > 0) parts.push(`## Managed Skills\n\n${chosenSkills.map(renderSkill).join('')}`);
  parts.push(contract);

  const omitted = {
    user: active.filter((e) => e.scope === 'user').length - user.length,
    global: active.filter((e) => e.scope === 'global').length - global.length,
    skills: skills.skills.length - chosenSkills.length,
    inactive,
  };
  const teamOmitted = teamEntries.length - team.length;
  if (omitted.user + omitted.global + omitted.skills + teamOmitted > 0) {
    const bits = [
      omitted.user ? `${omitted.user} USER entr${omitted.user === 1 ? 'y' : 'ies'}` : '',
      omitted.global ? `${omitted.global} MEMORY entr${omitted.global === 1 ? 'y' : 'ies'}` : '',
      teamOmitted ? `${teamOmitted} team entr${teamOmitted === 1 ? 'y' : 'ies'}` : '',
      omitted.skills ? `${omitted.skills} skill${omitted.skills === 1 ? '' : 's'}` : '',
    ].filter(Boolean);
    const head = `_Left out to stay within ${budget} characters: ${bits.join(', ')}.`;
    const full = `${head} Look them up with \`${csepCommand()} recall "<focused query>"\`._\n`;
    // At the smallest budgets the command, already in the contract above, is not repeated.
    const fits = parts.join('\n').length + 1 + full.length <= budget;
    parts.push(fits ? full : `${head} Look them up with the recall command above._\n`);
  }
  const text = parts.join('\n').trim();
  const decisions = memory.entries.map((entry) => ({
    entry,
    outcome: chosen.has(entry)
      ? ('injected' as const)
      : isActive(entry)
        ? ('budget' as const)
        : ('inactive' as const),
  }));
  const injectedIds: string[] = [];
  const teamSet = new Set(teamEntries);
  for (const entry of chosen) if (entry.id !== undefined && !teamSet.has(entry)) injectedIds.push(entry.id);
  return {
    decisions,
    injectedIds,
    ...(store && store.entries.length > 0
      ? {
          team: {
            dir: store.dir,
            included: team.length,
            omitted: teamOmitted,
            hidden: (merged?.hidden ?? []).map((h) => ({
              id: h.team.id,
              file: h.team.file,
              reason: h.reason,
              ...(h.detail !== undefined ? { detail: h.detail } : {}),
            })),
            replacedPersonal: [...(merged?.hiddenPersonal ?? [])].map((e) => e.id ?? e.summary),
            injectedIds: team.map((e) => e.id ?? ''),
          },
        }
      : {}),
    text,
    included: { user: user.length, global: global.length, skills: chosenSkills.length },
    omitted,
    budget,
    memorySource: memory.source,
    problems,
  };
}

/** The full session object of `session-start --cwd`. */
export function sessionStartObject(
  paths: StatePaths,
  context: SessionContext,
  texts: { userMd: string; memoryMd: string },
): Record<string, unknown> {
  return {
    hook: 'SessionStart',
    cwd: paths.repoKey,
    repo_fingerprint: paths.repoFingerprint,
    state_dir: paths.stateDir,
    stable_background: {
      current_user_md: texts.userMd,
      current_memory_md: texts.memoryMd,
      combined_prefix: context.text,
    },
    recall: {
      policy: readPrompt('recall-policy.md'),
      skill: {
        skill_id: 'session_recall',
        title: 'Session Recall',
        content: readPrompt('recall-contract.md'),
      },
      trigger_defaults: { same_repo_first: true, same_cwd_first: true, auto_trigger: true },
    },
    runtime: {
      managed_skills_manifest_path: paths.skillsManifest,
      review_snapshots_dir: paths.snapshotsDir,
      session_context: { thread_start_injected: true, repo_root: paths.repoKey, state_dir: paths.stateDir },
    },
    context_budget: { budget: context.budget, included: context.included, omitted: context.omitted },
    ...(context.team ? { team: context.team } : {}),
  };
}
