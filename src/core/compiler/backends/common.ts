/**
 * What every compile backend shares: the batch in apply order, and the rules for which managed
 * skills may change and what a skill must hold. Backends import these from here, not from each
 * other.
 */
import { join } from 'node:path';
import { PLUGIN_OWNER } from '../../constants.js';
import type { Envelope, SkillManifestEntry, Suggestion } from '../../schemas.js';
import type { CompiledSkill, ItemReceipt } from './types.js';

/** One suggestion of the batch with its envelope and position. */
export interface Visit {
  envelope: Envelope;
  suggestion: Suggestion;
  index: number;
  /** Global position of the suggestion in the batch. */
  pos: number;
  details: Record<string, unknown>;
}

/** Every suggestion of the batch in apply order. */
export function visits(envelopes: readonly Envelope[]): Visit[] {
  const out: Visit[] = [];
  for (const envelope of envelopes) {
    envelope.suggestions.forEach((suggestion, index) => {
      out.push({
        envelope,
        suggestion,
        index,
        pos: out.length,
        details: suggestion.details as Record<string, unknown>,
      });
    });
  }
  return out;
}

/**
 * Whether `action` may touch skill `id` given its manifest entry: patch/edit/retire need an
 * existing entry, and only entries this tool owns and manages can change (shared by every backend).
 */
export function skillTargetProblem(
  action: string,
  id: string,
  prev: SkillManifestEntry | undefined,
): { reason: string; detail: string } | undefined {
  if (action !== 'create' && !prev)
    return { reason: 'missing_managed_skill', detail: `no skill "${id}" in the manifest` };
  if (prev && !isOwnedEntry(prev))
    return {
      reason: 'ownership_violation',
      detail: `skill "${id}" is owned by ${prev.owner}${prev.managed ? '' : ' (not managed)'}`,
    };
  return undefined;
}

/**
 * The compile-time quality gate of a managed skill (shared by every backend): a title always,
 * and unless it is a retirement a description, content, and at least three words of content.
 */
export function skillGateProblem(
  action: string,
  title: string,
  description: string,
  content: string,
): { reason: string; detail?: string } | undefined {
  if (title === '') return { reason: 'missing_title' };
  if (action === 'retire') return undefined;
  if (description === '') return { reason: 'missing_description' };
  if (content === '') return { reason: 'missing_content' };
  if (wordCount(content) < 3) return { reason: 'low_signal', detail: 'content has fewer than 3 words' };
  return undefined;
}

/** Words of a text; each CJK character counts as one (they are written without spaces). */
function wordCount(text: string): number {
  return (
    text.match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|[\p{L}\p{N}_]+/gu)
      ?.length ?? 0
  );
}

/** True when this tool may change a manifest entry. */
export function isOwnedEntry(entry: SkillManifestEntry): boolean {
  return entry.owner === PLUGIN_OWNER && entry.managed === true;
}

/** What one skill action of a batch asks, once its target and gate are checked. */
export interface SkillChoice {
  id: string;
  action: CompiledSkill['action'];
  title: string;
  description: string;
  content: string;
  /** The item receipt of the action (marked superseded when a later action takes the skill). */
  item: ItemReceipt;
  /** More manifest fields (provenance...) written with the entry. */
  extra?: Partial<SkillManifestEntry>;
}

/**
 * The skills a batch changes and the manifest as it becomes (shared by every backend): a later
 * action on a skill supersedes an earlier one of the same batch.
 */
export class SkillBatch {
  private readonly current: Map<string, SkillManifestEntry>;
  private readonly chosen = new Map<string, { skill: CompiledSkill; item: ItemReceipt }>();
  private readonly managedDir: string;
  private readonly now: string;

  constructor(existing: readonly SkillManifestEntry[], managedDir: string, now: string) {
    this.current = new Map(existing.map((e) => [e.skill_id, e]));
    this.managedDir = managedDir;
    this.now = now;
  }

  /** The manifest entry of `id` as the batch has left it so far. */
  entry(id: string): SkillManifestEntry | undefined {
    return this.current.get(id);
  }

  /** Takes one checked action. */
  choose(choice: SkillChoice): void {
    const { id, action, title, description, content, item } = choice;
    const prev = this.current.get(id);
    const skill: CompiledSkill = {
      skill_id: id,
      action,
      title,
      description,
      content,
      status: action === 'retire' ? 'retired' : 'active',
    };
    const earlier = this.chosen.get(id);
    if (earlier) {
      earlier.item.state = 'superseded';
      earlier.item.reason = 'superseded_in_batch';
    }
    this.chosen.set(id, { skill, item });
    this.current.set(id, {
      ...(prev ?? {}),
      skill_id: id,
      action,
      title,
      ...(description ? { description } : {}),
      path: join(this.managedDir, `${id}.md`),
      status: skill.status,
      owner: PLUGIN_OWNER,
      managed: true,
      created_by: prev?.created_by ?? PLUGIN_OWNER,
      updated_at: this.now,
      retired_at: skill.status === 'retired' ? this.now : null,
      ...choice.extra,
    });
  }

  /** The skills chosen and the whole manifest, by skill id. */
  result(): { skills: CompiledSkill[]; manifest: SkillManifestEntry[] } {
    const manifest = [...this.current.values()].sort((a, b) =>
      a.skill_id < b.skill_id ? -1 : a.skill_id > b.skill_id ? 1 : 0,
    );
    return { skills: [...this.chosen.values()].map((c) => c.skill), manifest };
  }
}
