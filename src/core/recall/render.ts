/**
 * Text renderings of a focused recall: the markdown that `recall-trigger` and
 * `csep recall` print by default, and the `- summary: content` lines of `focused_recall`.
 */

/** The fields of a recall hit the renderers read. */
export interface RenderableRecall {
  id?: string;
  summary?: string;
  content?: string;
  source_paths?: readonly string[];
}

/** What the markdown renderer needs to know about one recall run. */
export interface FocusedRecallView {
  query?: string;
  /** `false` renders `not_triggered`; `true` or absent renders matched / no_match. */
  triggered?: boolean;
  results?: readonly RenderableRecall[];
  /** Defaults to `results.length`. */
  count?: number;
  /** A soft failure's one-line description; renders `error`. */
  error?: string;
}

/** Status line values, in precedence order error > not_triggered > matched | no_match. */
export type FocusedRecallStatus = 'matched' | 'no_match' | 'not_triggered' | 'error';

/** The status a view renders with. */
export function focusedRecallStatus(view: FocusedRecallView): FocusedRecallStatus {
  if (view.error) return 'error';
  if (view.triggered === false) return 'not_triggered';
  return countOf(view) > 0 ? 'matched' : 'no_match';
}

function countOf(view: FocusedRecallView): number {
  return view.count ?? view.results?.length ?? 0;
}

/** `- <summary>: <content>` per result, joined by newlines (no trailing newline; '' when empty). */
export function renderFocusedRecallLines(results: readonly RenderableRecall[]): string {
  return results.map((r) => `- ${r.summary ?? ''}: ${r.content ?? ''}`).join('\n');
}

const CONTINUE = 'Continue with the current repo and conversation context.';

/**
 * The `## Focused Recall` markdown. Always ends with exactly one newline. Summary and
 * content are not escaped (the reader is the model, as in the Python package).
 */
export function renderFocusedRecallMarkdown(view: FocusedRecallView): string {
  const status = focusedRecallStatus(view);
  const query = (view.query ?? '').trim();
  const lines = ['## Focused Recall', '', `Status: ${status}`];
  if (query) lines.push(`Query: ${query}`);
  lines.push(`Results: ${countOf(view)}`);

  if (status === 'not_triggered') {
    lines.push('', `Recall was not triggered by the current policy. ${CONTINUE}`);
  } else if (status === 'error') {
    lines.push('', `Recall failed softly: ${view.error}`, `${CONTINUE} Do not invent prior context.`);
  } else {
    const results = view.results ?? [];
    if (results.length === 0) {
      lines.push('', `No matching recall was found. ${CONTINUE} Do not invent prior context.`);
    }
    results.forEach((item, i) => {
      const title = (item.summary ?? '').trim() || (item.id ?? '').trim() || `Recall ${i + 1}`;
      lines.push('', `### ${i + 1}. ${title}`, '', (item.content ?? '').trim());
      const provenance = (item.source_paths ?? []).filter((p) => String(p).trim() !== '').join(', ');
      if (provenance) lines.push('', `Provenance: ${provenance}`);
    });
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
