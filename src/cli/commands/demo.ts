/**
 * `demo`: the whole learning loop in a throwaway home, on bundled sample sessions, offline.
 *
 * 1. a session starts with nothing learned; 2. four past sessions end and the Stop-hook review
 * runs with the offline `local` reviewer; 3. the compiler merges the queue; 4. the next session
 * starts with what was learned; 5. recall answers a mid-task question. Everything runs in
 * process through the same core code the hooks and commands use.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildSessionContext,
  ensureRuntimeDirs,
  loadAgent,
  loadFileSchemas,
  loadRecallSearchIndex,
  PACKAGE_ROOT,
  resolveStatePaths,
  reviewTurn,
  runCompile,
  searchRecallFile,
  type StatePaths,
} from '../../core/index.js';
import { printJson, printText, style } from '../output.js';
import type { CommandContext } from '../context.js';

export interface DemoOptions {
  keep?: boolean;
  json?: boolean;
  query?: string;
}

const DEFAULT_QUERY = 'migrations fail because the database server is unreachable';

function indent(text: string, by = '   '): string {
  return text
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

async function recall(paths: StatePaths, query: string) {
  let index;
  try {
    index = await loadRecallSearchIndex(readFileSync(paths.recallSearchIndex));
  } catch {
    index = undefined;
  }
  return (
    await searchRecallFile(index, paths.recallIndex, {
      query,
      cwd: paths.cwd,
      repoFingerprint: paths.repoFingerprint,
      topK: 3,
    })
  ).results;
}

export async function run(options: DemoOptions, _ctx: CommandContext): Promise<number> {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'csep-demo-')));
  const home = join(root, 'home');
  const repo = join(root, 'storefront');
  mkdirSync(repo, { recursive: true });
  const paths = resolveStatePaths({ cwd: repo, home });
  const say = options.json ? () => undefined : printText;
  const query = options.query ?? DEFAULT_QUERY;
  try {
    say(
      `${style('codex-self-evolution demo', 'bold')}: the whole loop, offline, no API key, in a throwaway home`,
    );
    say(style(`home ${home}\nrepository ${repo}`, 'dim'));

    say(`\n${style('1. A new session starts: nothing learned yet', 'bold')}`);
    const before = await buildSessionContext(paths);
    say(
      indent(
        `SessionStart would inject ${before.text.length} characters: ${before.included.user} USER and ${before.included.global} MEMORY entries.`,
      ),
    );

    say(
      `\n${style('2. Four earlier sessions end; the Stop hook reviews each with the offline `local` reviewer', 'bold')}`,
    );
    ensureRuntimeDirs(paths);
    const sessionsDir = join(PACKAGE_ROOT, 'fixtures', 'demo');
    const reviews = [];
    for (const file of readdirSync(sessionsDir)
      .filter((f) => f.endsWith('.jsonl'))
      .sort()) {
      // As the Stop hook does: each turn reviewed once, with the session so far as context.
      // The demo's sessions are Codex rollouts.
      const transcript = await (await loadAgent('codex')).readTranscript(join(sessionsDir, file));
      const review = { suggestions: [] as Awaited<ReturnType<typeof reviewTurn>>['suggestions'] };
      for (let index = 0; index < transcript.turns.length; index += 1) {
        const turn = transcript.turns[index]!;
        const reviewed = await reviewTurn(paths, {
          sessionId: `demo-${file.replace(/\.jsonl$/, '')}`,
          turnId: turn.turnId ?? `turn-${index}`,
          cwd: repo,
          transcriptPath: join(sessionsDir, file),
          lastAssistantMessage: '',
          reviewerProvider: 'local',
          transcript: { ...transcript, turns: transcript.turns.slice(0, index + 1) },
        });
        review.suggestions.push(...reviewed.suggestions);
      }
      reviews.push({
        session: file,
        suggestions: review.suggestions.map((s) => ({ family: s.family, summary: s.summary })),
      });
      say(
        indent(
          `${file.replace(/\.jsonl$/, '')}: ${review.suggestions.length} suggestion${review.suggestions.length === 1 ? '' : 's'}`,
        ),
      );
      for (const s of review.suggestions) {
        const scope =
          s.family === 'memory_updates'
            ? `memory/${String((s.details as { scope?: string }).scope ?? 'global')}`
            : s.family === 'recall_candidate'
              ? 'recall'
              : 'skill';
        say(
          indent(
            `+ [${scope}] ${clip(String((s.details as { content?: string }).content ?? s.summary), 100)}`,
            '     ',
          ),
        );
      }
    }

    say(`\n${style('3. The compiler merges the queue into memory, recall and skills', 'bold')}`);
    const compiled = await runCompile(paths, { housekeeping: false });
    // Read through their schemas: a file the compile did not write reads as empty, not as a crash.
    const { MemoryIndexSchema, RecallIndexSchema, readJsonFile } = await loadFileSchemas();
    const memoryIndex = readJsonFile(paths.memoryJson, MemoryIndexSchema);
    const recallIndex = readJsonFile(paths.recallIndex, RecallIndexSchema);
    const counts = {
      user: memoryIndex?.user.length ?? 0,
      global: memoryIndex?.global.length ?? 0,
      recall: recallIndex?.records.length ?? 0,
    };
    say(
      indent(
        `${compiled.status}: ${compiled.processed_count} envelopes → ${counts.user} USER entries, ${counts.global} MEMORY entries, ${counts.recall} recall record${counts.recall === 1 ? '' : 's'} (receipt ${compiled.receipt_ids.join(', ')})`,
      ),
    );

    say(`\n${style('4. The next session starts with what was learned', 'bold')}`);
    const after = await buildSessionContext(paths);
    say(indent(`SessionStart injects ${after.text.length} characters (budget ${after.budget}):`));
    say(indent(style('┄'.repeat(60), 'dim')));
    say(indent(after.text));
    say(indent(style('┄'.repeat(60), 'dim')));

    say(`\n${style('5. Mid-task, the agent asks recall', 'bold')}`);
    say(indent(`$ csep recall "${query}"`));
    const results = await recall(paths, query);
    if (results.length === 0) say(indent('no match'));
    results.forEach((r, i) => {
      say(indent(`${i + 1}. ${r.summary}`));
      say(indent(clip(r.content, 300), '      '));
    });
    say(
      `\n${options.keep ? `State kept in ${home}. Inspect it with: codex-self-evolution status --home ${home}` : 'Done; the throwaway home was removed (use --keep to inspect it).'}`,
    );

    if (options.json) {
      printJson({
        home,
        repository: repo,
        kept: Boolean(options.keep),
        before: { chars: before.text.length, included: before.included },
        reviews,
        compile: {
          status: compiled.status,
          processed_count: compiled.processed_count,
          receipt_ids: compiled.receipt_ids,
          ...counts,
        },
        after: {
          chars: after.text.length,
          included: after.included,
          omitted: after.omitted,
          additional_context: after.text,
        },
        recall: {
          query,
          results: results.map((r) => ({ id: r.id, summary: r.summary, content: r.content, score: r.score })),
        },
      });
    }
    return compiled.status === 'success' ? 0 : 1;
  } finally {
    if (!options.keep) rmSync(root, { recursive: true, force: true });
  }
}
