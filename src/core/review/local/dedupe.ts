/**
 * Skipping what is already known: lessons present in USER.md / MEMORY.md (compared after
 * normalization, by word containment) and repeats within the same review.
 */
import type { Proposal } from './proposal.js';
import { containment, contentWords, normalize } from './text.js';

/** Share of a lesson's words that must appear in one existing entry for it to count as known. */
const KNOWN_THRESHOLD = 0.75;
/** Share of words two proposals must share to be the same lesson. */
const REPEAT_THRESHOLD = 0.8;

interface KnownEntry {
  normalized: string;
  words: Set<string>;
}

/**
 * Splits memory Markdown into entries: each `## ` section (heading and body) and each non-empty
 * line, so a lesson matching one line of a long section is still found.
 */
export function parseExisting(markdowns: readonly string[]): KnownEntry[] {
  const entries: KnownEntry[] = [];
  const add = (text: string): void => {
    const normalized = normalize(text);
    if (normalized === '' || normalized === 'no entries yet') return;
    entries.push({ normalized, words: contentWords(text) });
  };
  for (const markdown of markdowns) {
    for (const section of markdown.split(/^(?=## )/m)) {
      if (section.startsWith('## ')) add(section);
      for (const line of section.split('\n')) if (!/^#{1,6}\s/.test(line)) add(line);
    }
  }
  return entries;
}

/** True when the proposal's lesson is already in memory. */
export function isKnown(proposal: Proposal, entries: readonly KnownEntry[]): boolean {
  const key = proposal.dedupeKey ?? proposal.content;
  const normalizedKey = normalize(key);
  const words = contentWords(key);
  return entries.some(
    (entry) =>
      (normalizedKey.length >= 6 && entry.normalized.includes(normalizedKey)) ||
      (words.size > 0 && containment(words, entry.words) >= KNOWN_THRESHOLD),
  );
}

/** Drops proposals that repeat an earlier, at least as confident one of the same family. */
export function dropRepeats(proposals: readonly Proposal[]): Proposal[] {
  const kept: Proposal[] = [];
  const ordered = [...proposals].sort((a, b) => b.confidence - a.confidence);
  for (const proposal of ordered) {
    const words = contentWords(proposal.dedupeKey ?? proposal.content);
    const repeat = kept.some((other) => {
      if (other.family !== proposal.family) return false;
      const otherWords = contentWords(other.dedupeKey ?? other.content);
      return (
        containment(words, otherWords) >= REPEAT_THRESHOLD ||
        containment(otherWords, words) >= REPEAT_THRESHOLD
      );
    });
    if (!repeat) kept.push(proposal);
  }
  return proposals.filter((proposal) => kept.includes(proposal));
}
