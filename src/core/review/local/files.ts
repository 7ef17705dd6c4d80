/**
 * Files and modules worked on repeatedly in a session (a recall candidate): where the work
 * happened, so a later session on the same topic can find it again.
 */
import type { Transcript } from '../types.js';
import type { SessionActions } from './commands.js';
import { MAX_QUOTE, type Proposal } from './proposal.js';
import { clip } from './text.js';

/** A file counts as a focus when patched at least this often, in at least two turns. */
const MIN_PATCHES = 3;
const MIN_TURNS = 2;

/** Proposes one recall candidate per directory holding a repeatedly patched file. */
export function extractFileFocus(transcript: Transcript, actions: SessionActions): Proposal[] {
  const stats = new Map<string, { patches: number; turns: Set<number> }>();
  for (const patch of actions.patches) {
    for (const file of patch.files) {
      const entry = stats.get(file) ?? { patches: 0, turns: new Set<number>() };
      entry.patches += 1;
      entry.turns.add(patch.turn);
      stats.set(file, entry);
    }
  }
  const latest = transcript.turns.at(-1)?.index ?? 0;
  const reached = (entry: { patches: number; turns: Set<number> }): boolean =>
    entry.patches >= MIN_PATCHES && entry.turns.size >= MIN_TURNS;
  // Proposed once, by the turn in which the file becomes a focus (later turns add nothing new).
  const before = (file: string): { patches: number; turns: Set<number> } => {
    const earlier = actions.patches.filter((patch) => patch.turn < latest && patch.files.includes(file));
    return { patches: earlier.length, turns: new Set(earlier.map((patch) => patch.turn)) };
  };
  const focus = [...stats].filter(
    ([file, entry]) => reached(entry) && entry.turns.has(latest) && !reached(before(file)),
  );
  const directories = [...new Set(focus.map(([file]) => directoryOf(file)))].sort();
  return directories.map((directory) => {
    const files = [...stats]
      .filter(([file]) => directoryOf(file) === directory)
      .sort(([a, left], [b, right]) => right.patches - left.patches || a.localeCompare(b))
      .slice(0, 6);
    const turns = [...new Set(files.flatMap(([, entry]) => [...entry.turns]))].sort((a, b) => a - b);
    const prompts = turns
      .map((index) => transcript.turns[index]?.entries.find((entry) => entry.kind === 'user'))
      .flatMap((entry) => (entry?.kind === 'user' ? [clip(entry.text, 90)] : []));
    const listed = files
      .map(([file, entry]) => `${file} (${entry.patches} edit${entry.patches === 1 ? '' : 's'})`)
      .join(', ');
    const where = directory === '.' ? 'the repository root' : `${directory}/`;
    const content = `Repeated work in ${where}: ${listed}, over ${turns.length} turns${prompts.length > 0 ? ` (${prompts.map((prompt) => `"${prompt}"`).join('; ')})` : ''}.`;
    const quote = prompts[0] ?? listed;
    return {
      kind: 'files' as const,
      family: 'recall_candidate' as const,
      summary: `Work on ${files
        .map(([file]) => file)
        .slice(0, 3)
        .join(', ')}`,
      content,
      sourcePaths: files.map(([file]) => file),
      evidence: { turn: latest, quote: clip(quote, MAX_QUOTE) },
      confidence: 0.55,
      dedupeKey: files.map(([file]) => file).join(' '),
    };
  });
}

function directoryOf(file: string): string {
  const at = file.lastIndexOf('/');
  return at <= 0 ? '.' : file.slice(0, at);
}
