/**
 * What a tool call of a turn returned: paired by call id, or (for transcripts without ids) the
 * entry right after the call when it is an output.
 */
import type { TranscriptEntry } from '../types.js';

/** A tool call's exit code (when the agent reported one) and its output. */
export interface ToolResult {
  exitCode: number | undefined;
  output: string;
}

/** A lookup of the result of the tool call at each position of `entries`. */
export function toolResults(
  entries: readonly TranscriptEntry[],
): (position: number) => ToolResult | undefined {
  const byCallId = new Map<string, ToolResult>();
  for (const entry of entries)
    if (entry.kind === 'tool_output' && entry.callId !== undefined)
      byCallId.set(entry.callId, { exitCode: entry.exitCode, output: entry.output });
  return (position) => {
    const entry = entries[position];
    if (entry?.kind !== 'tool_call') return undefined;
    if (entry.callId !== undefined) return byCallId.get(entry.callId);
    const next = entries[position + 1];
    return next?.kind === 'tool_output' ? { exitCode: next.exitCode, output: next.output } : undefined;
  };
}
