/**
 * How a reader's personal memory and the team store of the checkout combine. Pure and
 * zod-free: session start runs it on every call.
 *
 * For each shared memory entry, first match wins:
 * - `stale`: a source path it depends on is gone from the checkout (it is not injected and
 *   `team status` lists it for cleanup);
 * - same id as a personal entry (the reader shared it, or learned the very same lesson):
 *   - the personal entry is inactive (forgotten, superseded, stale, archived): the reader's own
 *     decision wins, the shared copy is hidden (`personal_<status>`);
 *   - same text: one entry, the personal one (`duplicate`);
 *   - different text: the shared copy was edited in the repository (reviewed in a pull request),
 *     so it wins and the personal copy is left out of this session (`team_edited`, a conflict);
 * - another shared entry lists it in `supersedes` (`superseded_by_team`);
 * - the same text as an active personal entry (`duplicate`);
 * - a personal entry supersedes it (its `supersedes` names the id, or the lesson matcher of the
 *   compiler says one replaces the other and the personal one is not older): the personal entry
 *   wins for this reader (`superseded_by_personal`, a conflict). A newer shared entry that
 *   replaces a personal global entry wins instead (`superseded_by_team`, a conflict); USER entries
 *   are the person's own preferences and are never hidden by a shared one.
 */
import { isActive, type MemoryEntry } from '../memory/view.js';
import { lessonTerms, relate, type LessonTerms } from '../memory/similarity.js';
import { teamStaleReason, type TeamEntry } from './store.js';

/** Share of common words below which two lessons cannot be related (see `relate`'s thresholds). */
const CANDIDATE_OVERLAP = 0.4;

const wordCache = new WeakMap<LessonTerms, Set<string>>();
/** Subject terms plus value words of a lesson. */
function wordsOf(t: LessonTerms): Set<string> {
  let w = wordCache.get(t);
  if (w === undefined) {
    w = new Set(t.terms);
    for (const values of t.values.values()) for (const v of values) w.add(v);
    wordCache.set(t, w);
  }
  return w;
}

/** Why a shared or personal entry is left out. */
export type TeamHiddenReason =
  | 'stale'
  | 'duplicate'
  | 'team_edited'
  | 'superseded_by_team'
  | 'superseded_by_personal'
  | `personal_${string}`;

/** A disagreement between a shared and a personal entry, and who won for this reader. */
export interface TeamConflict {
  teamId: string;
  teamFile: string;
  personalId: string | undefined;
  winner: 'team' | 'personal';
  reason: string;
}

/** The outcome of {@link mergeTeamMemory}. */
export interface TeamMemoryMerge {
  /** Shared memory entries to offer for injection, as memory entries (scope global). */
  active: Array<{ team: TeamEntry; entry: MemoryEntry }>;
  /** Shared entries left out, with why. */
  hidden: Array<{ team: TeamEntry; reason: TeamHiddenReason; detail?: string }>;
  /** Personal entries a shared entry replaces for this session. */
  hiddenPersonal: Set<MemoryEntry>;
  conflicts: TeamConflict[];
}

/** Text normalized for "same text": NFKC, lower case, punctuation and whitespace folded. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

function personalTime(e: MemoryEntry): string {
  return e.record?.updated_at ?? e.record?.last_confirmed_at ?? e.record?.created_at ?? '';
}

function supersedesOf(e: MemoryEntry): string[] {
  return e.record?.supersedes ?? [];
}

/** A shared entry as a memory entry (for the session-start budget and rendering). */
export function teamAsMemoryEntry(team: TeamEntry, position: number): MemoryEntry {
  return {
    scope: 'global',
    summary: team.title,
    content: team.content,
    confidence: team.confidence,
    sourcePaths: team.sourcePaths,
    position,
    status: undefined,
    id: team.id,
    record: undefined,
  };
}

/** Merges the shared memory entries of a store with a reader's personal entries (see the module comment). */
export function mergeTeamMemory(
  personal: readonly MemoryEntry[],
  team: readonly TeamEntry[],
  root: string,
): TeamMemoryMerge {
  const out: TeamMemoryMerge = { active: [], hidden: [], hiddenPersonal: new Set(), conflicts: [] };
  const shared = team.filter((t) => t.kind === 'memory');
  if (shared.length === 0) return out;
  const byId = new Map<string, MemoryEntry>();
  const byText = new Map<string, MemoryEntry>();
  const supersededByPersonal = new Map<string, MemoryEntry>();
  const activePersonal = personal.filter(isActive);
  for (const e of personal) if (e.id !== undefined) byId.set(e.id, e);
  for (const e of activePersonal) {
    byText.set(normalizeText(e.content), e);
    for (const id of supersedesOf(e)) supersededByPersonal.set(id, e);
  }
  const supersededByTeam = new Set<string>();
  for (const t of shared) for (const id of t.supersedes) if (id !== t.id) supersededByTeam.add(id);

  // Lesson terms are computed once per entry, and only when a pair needs them.
  const termCache = new Map<object, LessonTerms>();
  const termsOf = (key: object, text: string) => {
    let t = termCache.get(key);
    if (t === undefined) termCache.set(key, (t = lessonTerms(text)));
    return t;
  };

  // Every rule of `relate` needs a large share of common words (≥ 0.5 of the smaller lesson's
  // subject terms), so only personal entries sharing enough words are compared: an inverted index
  // keeps session start linear instead of comparing every shared entry with every personal one.
  const postings = new Map<string, MemoryEntry[]>();
  const wordless: MemoryEntry[] = [];
  for (const p of activePersonal) {
    const words = wordsOf(termsOf(p, `${p.summary}\n${p.content}`));
    if (words.size === 0) wordless.push(p);
    for (const term of words) {
      let list = postings.get(term);
      if (list === undefined) postings.set(term, (list = []));
      list.push(p);
    }
  }
  const candidatesFor = (teamTerms: LessonTerms): MemoryEntry[] => {
    const words = wordsOf(teamTerms);
    const shared = new Map<MemoryEntry, number>();
    for (const term of words)
      for (const p of postings.get(term) ?? []) shared.set(p, (shared.get(p) ?? 0) + 1);
    const out: MemoryEntry[] = [];
    for (const p of words.size === 0 ? activePersonal : [...shared.keys(), ...wordless]) {
      const size = Math.min(words.size, wordsOf(termsOf(p, `${p.summary}\n${p.content}`)).size);
      if (size === 0 || (shared.get(p) ?? 0) / size >= CANDIDATE_OVERLAP) out.push(p);
    }
    return out;
  };

  shared.forEach((t, i) => {
    const stale = teamStaleReason(t, root);
    if (stale !== undefined) {
      out.hidden.push({ team: t, reason: 'stale', detail: stale });
      return;
    }
    const same = byId.get(t.id);
    if (same !== undefined) {
      if (!isActive(same)) {
        out.hidden.push({ team: t, reason: `personal_${same.status ?? 'inactive'}` });
        return;
      }
      if (normalizeText(same.content) === normalizeText(t.content)) {
        out.hidden.push({ team: t, reason: 'duplicate', detail: same.id });
        return;
      }
      out.hiddenPersonal.add(same);
      out.conflicts.push({
        teamId: t.id,
        teamFile: t.file,
        personalId: same.id,
        winner: 'team',
        reason: 'the shared copy was edited in the repository',
      });
    } else {
      if (supersededByTeam.has(t.id)) {
        out.hidden.push({ team: t, reason: 'superseded_by_team' });
        return;
      }
      const dup = byText.get(normalizeText(t.content));
      if (dup !== undefined) {
        out.hidden.push({ team: t, reason: 'duplicate', detail: dup.id });
        return;
      }
      const explicit = supersededByPersonal.get(t.id);
      if (explicit !== undefined) {
        out.hidden.push({ team: t, reason: 'superseded_by_personal', detail: explicit.id });
        out.conflicts.push({
          teamId: t.id,
          teamFile: t.file,
          personalId: explicit.id,
          winner: 'personal',
          reason: 'your entry supersedes it',
        });
        return;
      }
      let lost = false;
      if (activePersonal.length === 0) {
        out.active.push({ team: t, entry: teamAsMemoryEntry(t, i) });
        return;
      }
      const teamTerms = termsOf(t, `${t.title}\n${t.content}`);
      for (const p of candidatesFor(teamTerms)) {
        if (out.hiddenPersonal.has(p)) continue;
        const pTerms = termsOf(p, `${p.summary}\n${p.content}`);
        const personalNewer = personalTime(p) >= (t.updated ?? t.created ?? '');
        const forward = relate(teamTerms, pTerms);
        if (forward.kind === 'duplicate') {
          out.hidden.push({ team: t, reason: 'duplicate', detail: p.id ?? p.summary });
          lost = true;
          break;
        }
        if (forward.kind === 'supersedes' && (personalNewer || p.scope === 'user')) {
          out.hidden.push({ team: t, reason: 'superseded_by_personal', detail: p.id ?? p.summary });
          out.conflicts.push({
            teamId: t.id,
            teamFile: t.file,
            personalId: p.id,
            winner: 'personal',
            reason: forward.reason,
          });
          lost = true;
          break;
        }
        const backward = relate(pTerms, teamTerms);
        const teamWins = p.scope === 'global' && !personalNewer;
        if ((backward.kind === 'supersedes' || forward.kind === 'supersedes') && teamWins) {
          out.hiddenPersonal.add(p);
          out.conflicts.push({
            teamId: t.id,
            teamFile: t.file,
            personalId: p.id,
            winner: 'team',
            reason: (backward.kind === 'supersedes' ? backward : forward).reason,
          });
        } else if (backward.kind === 'supersedes' || forward.kind === 'supersedes') {
          out.hidden.push({ team: t, reason: 'superseded_by_personal', detail: p.id ?? p.summary });
          out.conflicts.push({
            teamId: t.id,
            teamFile: t.file,
            personalId: p.id,
            winner: 'personal',
            reason: (forward.kind === 'supersedes' ? forward : backward).reason,
          });
          lost = true;
          break;
        }
      }
      if (lost) return;
    }
    out.active.push({ team: t, entry: teamAsMemoryEntry(t, i) });
  });
  return out;
}
