/**
 * Inspect, review and undo what was learned:
 *
 * - `memory list|show|forget|edit|restore`: what the next session will be told and why
 *   (provenance, confidence, status, budget), and hand changes made through the compile lock;
 * - `review list|show|approve|reject|edit`: suggestions staged by the `[review]` policy;
 * - `history` / `undo <receipt-id>`: the compile receipts and a byte-exact revert of one of them.
 *
 * Human-readable text by default, `--json` for machines; no colour when stdout is not a TTY.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  approveItem,
  buildSessionContext,
  changeMemoryEntry,
  editItem,
  editMutation,
  forgetMutation,
  listStagedItems,
  loadCompileSettings,
  loadMemoryEditing,
  loadMemoryView,
  logWarn,
  readReceiptHistory,
  readStagedItem,
  readUsageTotals,
  rejectItem,
  resolveContextBudget,
  resolveStatePaths,
  resolveTeamSettings,
  runCompile,
  undoableReceiptIds,
  undoReceipt,
  undoRoot,
  UsageError,
  type MemoryEntryDescription,
  type StagedItem,
  type StatePaths,
} from '../../core/index.js';
import { printJson, printText, style } from '../output.js';
import type { CommandContext } from '../context.js';

// Loaded with this module (as static imports were): used synchronously below.
const { LOCK_WAIT_MS, restoreMutation, setLockWaitNotice } = await loadMemoryEditing();
const { describeMemoryEntry, detailMemoryEntry } = await loadMemoryView();

// One line on a terminal while a memory, review or undo command waits for a running compile.
setLockWaitNotice((pid) => {
  if (process.stderr.isTTY)
    process.stderr.write(`waiting for a compile${pid ? ` (pid ${pid})` : ''} to finish…\n`);
});

export interface LessonsOptions {
  repo?: string;
  stateDir?: string;
  json?: boolean;
  scope?: string;
  stale?: boolean;
  all?: boolean;
  content?: string;
  summary?: string;
  title?: string;
  description?: string;
  reason?: string;
  compile?: boolean;
}

function bucket(options: LessonsOptions, ctx: CommandContext): StatePaths {
  return resolveStatePaths({
    cwd: options.repo ?? process.cwd(),
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    home: ctx.invocation.home,
  });
}

function oneLine(text: string, max = 110): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function provenanceLine(p: unknown): string {
  if (!p || typeof p !== 'object') return 'unknown';
  const r = p as Record<string, unknown>;
  const bits = [
    r.thread_id
      ? `${typeof r.agent === 'string' ? `${r.agent} ` : ''}session ${String(r.thread_id).slice(0, 12)}`
      : '',
    r.turn_id ? `turn ${String(r.turn_id).slice(0, 12)}` : '',
    r.at ? `at ${String(r.at)}` : '',
  ].filter(Boolean);
  return `${bits.join(', ')}${r.quote ? ` — “${oneLine(String(r.quote), 100)}”` : ''}`;
}

function renderEntry(v: MemoryEntryDescription): string {
  const mark =
    v.outcome === 'injected'
      ? style('●', 'green')
      : v.outcome === 'budget'
        ? style('○', 'yellow')
        : style('×', 'red');
  const lines = [
    `${mark} ${style(String(v.id ?? '(no id yet)'), 'cyan')} ${style(`[${String(v.scope)}${v.status !== 'active' ? `, ${String(v.status)}` : ''}]`, 'dim')} ${style(String(v.summary || oneLine(String(v.content), 60)), 'bold')}`,
    `    ${oneLine(String(v.content))}`,
    `    why: ${String(v.why)}`,
    `    confidence ${String(v.confidence)} · confirmed ${String(v.confirmations)}× · injected ${String(v.injected_count)}× · last confirmed ${String(v.last_confirmed_at ?? '?')}`,
  ];
  if (v.first_seen) lines.push(`    learned from ${provenanceLine(v.first_seen)}`);
  const paths = v.source_paths as string[];
  if (paths.length > 0 || v.source_commit)
    lines.push(
      `    sources: ${paths.join(', ') || '-'}${v.source_commit ? ` @ ${String(v.source_commit).slice(0, 12)}` : ''}`,
    );
  return lines.join('\n');
}

/** `memory list`. */
export async function runMemoryList(options: LessonsOptions, ctx: CommandContext): Promise<number> {
  const paths = bucket(options, ctx);
  if (options.scope !== undefined && options.scope !== 'user' && options.scope !== 'global')
    throw new UsageError('--scope must be user or global');
  const budget = await resolveContextBudget(ctx.invocation.home);
  // The shared team store takes part in the budget as it does at session start.
  const context = await buildSessionContext(paths, {
    budgetChars: budget,
    team: (await resolveTeamSettings(ctx.invocation.home)).enabled,
  });
  const usage = await readUsageTotals(paths.memoryDir);
  const all = context.decisions.map((d) =>
    describeMemoryEntry(d.entry, d.outcome, d.entry.id ? usage.get(d.entry.id) : undefined, context.budget),
  );
  const shown = all.filter((v) => {
    if (options.scope && v.scope !== options.scope) return false;
    if (options.stale) return v.status === 'stale';
    return options.all ? true : v.status === 'active';
  });
  const summary = {
    repo: paths.repoKey,
    state_dir: paths.stateDir,
    budget: context.budget,
    context_chars: context.text.length,
    injected: all.filter((v) => v.outcome === 'injected').length,
    left_out_for_budget: all.filter((v) => v.outcome === 'budget').length,
    stale: all.filter((v) => v.status === 'stale').length,
    inactive: all.filter((v) => v.outcome === 'inactive').length,
  };
  if (options.json) {
    printJson({ ...summary, entries: shown });
    return 0;
  }
  printText(
    `${style('What the next session will be told', 'bold')} in ${paths.repoKey}\n` +
      `${summary.injected} entr${summary.injected === 1 ? 'y' : 'ies'} injected (${summary.context_chars} of ${summary.budget} characters), ` +
      `${summary.left_out_for_budget} left out for the budget, ${summary.stale} stale (to re-verify), ${summary.inactive} inactive in history.`,
  );
  if (shown.length === 0) printText(options.stale ? 'No stale entries.' : 'No entries.');
  for (const v of shown) printText(`\n${renderEntry(v)}`);
  if (!options.all && !options.stale && summary.inactive > 0)
    printText(`\n(${summary.inactive} inactive entries: --all shows them, --stale only the stale ones)`);
  return 0;
}

async function findEntry(paths: StatePaths, id: string, budget: number) {
  const context = await buildSessionContext(paths, { budgetChars: budget });
  const matches = context.decisions.filter(
    (d) => d.entry.id === id || (id.length >= 4 && d.entry.id?.startsWith(id)),
  );
  if (matches.length === 0)
    throw new UsageError(`no memory entry ${id}`, { hint: 'see `codex-self-evolution memory list --all`' });
  if (matches.length > 1)
    throw new UsageError(`${matches.length} memory entries start with ${id}; give more of the id`);
  return { match: matches[0]!, context };
}

/** `memory show <id>`. */
export async function runMemoryShow(
  options: LessonsOptions,
  ctx: CommandContext,
  args: string[],
): Promise<number> {
  const paths = bucket(options, ctx);
  const id = args[0] ?? '';
  const { match, context } = await findEntry(paths, id, await resolveContextBudget(ctx.invocation.home));
  const full = detailMemoryEntry(
    match.entry,
    match.outcome,
    match.entry.id ? (await readUsageTotals(paths.memoryDir)).get(match.entry.id) : undefined,
    context.budget,
    context.decisions.map((d) => d.entry),
  );
  if (options.json) {
    printJson(full);
    return 0;
  }
  printText(renderEntry(full));
  printText(`\n${style('Content', 'bold')}\n${match.entry.content}`);
  const { provenance, related } = full;
  if (provenance.length > 0)
    printText(
      `\n${style('Evidence', 'bold')}\n${provenance.map((p) => `  - ${provenanceLine(p)}`).join('\n')}`,
    );
  const history = full.history as Array<Record<string, unknown>>;
  if (history.length > 0)
    printText(
      `\n${style('History', 'bold')}\n${history.map((h) => `  - ${String(h.at)} ${String(h.event)}${h.by ? ` by ${String(h.by)}` : ''}${h.detail ? `: ${String(h.detail)}` : ''}`).join('\n')}`,
    );
  if (related.length > 0)
    printText(
      `\n${style('Supersession chain', 'bold')}\n${related.map((r) => `  - ${String(r.id)} [${r.status}] ${oneLine(r.content, 80)}`).join('\n')}`,
    );
  return 0;
}

async function manual(
  options: LessonsOptions,
  ctx: CommandContext,
  id: string,
  action: string,
  mutate: Parameters<typeof changeMemoryEntry>[3],
): Promise<number> {
  const paths = bucket(options, ctx);
  if (!id) throw new UsageError(`memory ${action} needs an entry id (see \`memory list --all\`)`);
  const result = await changeMemoryEntry(paths, id, action, mutate);
  const out = {
    action,
    id: result.record.id,
    scope: result.scope,
    status: result.record.status ?? 'active',
    receipt_id: result.receipt_id,
  };
  if (options.json) printJson(out);
  else
    printText(
      result.receipt_id
        ? `${action}: ${String(out.id)} is now ${String(out.status)} (receipt ${result.receipt_id}; \`undo ${result.receipt_id}\` reverts it)`
        : `${action}: nothing changed`,
    );
  return 0;
}

/** `memory forget <id>`. */
export const runMemoryForget = async (o: LessonsOptions, c: CommandContext, a: string[]) =>
  manual(o, c, a[0] ?? '', 'forget', await forgetMutation(o.reason ?? ''));
/** `memory restore <id>`. */
export const runMemoryRestore = (o: LessonsOptions, c: CommandContext, a: string[]) =>
  manual(o, c, a[0] ?? '', 'restore', restoreMutation);
/** `memory edit <id> --content … [--summary …]`. */
export const runMemoryEdit = async (o: LessonsOptions, c: CommandContext, a: string[]) =>
  manual(
    o,
    c,
    a[0] ?? '',
    'edit',
    await editMutation({
      ...(o.content !== undefined ? { content: o.content } : {}),
      ...(o.summary !== undefined ? { summary: o.summary } : {}),
    }),
  );

// ---------------------------------------------------------------- review

function itemView(item: StagedItem): Record<string, unknown> {
  const details = item.suggestion.details as Record<string, unknown>;
  const evidence = (details.evidence ?? null) as Record<string, unknown> | null;
  return {
    id: item.id,
    state: item.state,
    kind: item.kind,
    family: item.suggestion.family,
    summary: item.suggestion.summary,
    title: details.title ?? null,
    description: details.description ?? null,
    content: details.content ?? null,
    confidence: item.suggestion.confidence,
    evidence,
    source: item.source,
    staged_at: item.staged_at,
    decided_at: item.decided_at ?? null,
    reason: item.reason ?? null,
    approved_envelope: item.approved_envelope ?? null,
    edited: item.original_suggestion !== undefined,
    flagged: item.flagged ?? null,
  };
}

function renderItem(v: Record<string, unknown>, full: boolean): string {
  const source = v.source as StagedItem['source'];
  const evidence = v.evidence as { quote?: string; turn?: number } | null;
  const lines = [
    `${style(String(v.id), 'cyan')} ${style(`[${String(v.state)}, ${String(v.kind)}]`, 'dim')} ${style(String(v.title ?? v.summary), 'bold')}`,
    ...(v.flagged ? [`    ${style('flagged', 'bold')}: ${(v.flagged as { reason: string }).reason}`] : []),
    `    from session ${source.thread_id.slice(0, 16)}, turn ${source.turn_id.slice(0, 16) || '?'}, reviewed ${source.reviewer_timestamp}`,
    `    evidence: ${evidence?.quote ? `“${full ? evidence.quote : oneLine(evidence.quote, 100)}”` : '(none given by the reviewer)'}`,
  ];
  if (v.description)
    lines.push(`    description: ${full ? String(v.description) : oneLine(String(v.description))}`);
  if (v.content) lines.push(full ? `\n${String(v.content)}\n` : `    ${oneLine(String(v.content))}`);
  if (v.reason) lines.push(`    reason: ${String(v.reason)}`);
  return lines.join('\n');
}

/** `review list`. */
export async function runReviewList(options: LessonsOptions, ctx: CommandContext): Promise<number> {
  const paths = bucket(options, ctx);
  const items = (await listStagedItems(paths)).filter((i) => options.all || i.state === 'staged');
  if (options.json) {
    printJson({ state_dir: paths.stateDir, items: items.map(itemView) });
    return 0;
  }
  if (items.length === 0) printText(options.all ? 'No review items.' : 'Nothing waits for review.');
  else
    printText(
      `${items.length} item${items.length === 1 ? '' : 's'}${options.all ? '' : ' waiting for review'} (approve <id> | reject <id> --reason … | edit <id>):`,
    );
  for (const item of items) printText(`\n${renderItem(itemView(item), false)}`);
  return 0;
}

/** `review show <id>`. */
export async function runReviewShow(
  options: LessonsOptions,
  ctx: CommandContext,
  args: string[],
): Promise<number> {
  const item = await readStagedItem(bucket(options, ctx), args[0] ?? '');
  if (options.json)
    printJson({
      ...itemView(item),
      suggestion: item.suggestion,
      original_suggestion: item.original_suggestion ?? null,
      history: item.history,
    });
  else printText(renderItem(itemView(item), true));
  return 0;
}

/** `review approve <id>`: queues it and (unless --no-compile) compiles now. */
export async function runReviewApprove(
  options: LessonsOptions,
  ctx: CommandContext,
  args: string[],
): Promise<number> {
  const paths = bucket(options, ctx);
  const item = await approveItem(paths, args[0] ?? '');
  let compiled: Record<string, unknown> | null = null;
  if (options.compile !== false) {
    const settings = await loadCompileSettings(ctx.invocation.home);
    for (const warning of settings.warnings) logWarn(`review: ${warning}`, { kind: 'review' });
    const compileOnce = () =>
      runCompile(paths, {
        backend: 'script',
        caps: settings.caps,
        reviewPolicy: settings.reviewPolicy,
        lessons: settings.lessons,
      });
    let result = await compileOnce();
    // A running compile: wait for it (it may well apply the approval itself) rather than fail.
    const deadline = Date.now() + LOCK_WAIT_MS;
    if (result.status === 'skip_locked' && process.stderr.isTTY)
      process.stderr.write('waiting for a compile to finish…\n');
    while (result.status === 'skip_locked' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      result = await compileOnce();
    }
    compiled = {
      status: result.status,
      receipt_ids: result.receipt_ids,
      global_skill_publish: result.global_skill_publish,
    };
  }
  if (options.json)
    printJson({ id: item.id, state: item.state, envelope: item.approved_envelope, compile: compiled });
  else
    printText(
      `approved ${item.id}: ${compiled ? `compiled (${String(compiled.status)}${(compiled.receipt_ids as string[]).length ? `, receipt ${(compiled.receipt_ids as string[]).join(', ')}` : ''})` : 'queued for the next compile'}`,
    );
  return 0;
}

/** `review reject <id> [--reason …]`. */
export async function runReviewReject(
  options: LessonsOptions,
  ctx: CommandContext,
  args: string[],
): Promise<number> {
  const item = await rejectItem(bucket(options, ctx), args[0] ?? '', options.reason ?? '');
  if (options.json) printJson({ id: item.id, state: item.state, reason: item.reason });
  else printText(`rejected ${item.id} (kept with the reason: ${item.reason})`);
  return 0;
}

/** `review edit <id> [--summary] [--content] [--title] [--description]`. */
export async function runReviewEdit(
  options: LessonsOptions,
  ctx: CommandContext,
  args: string[],
): Promise<number> {
  const changes = {
    ...(options.summary !== undefined ? { summary: options.summary } : {}),
    ...(options.content !== undefined ? { content: options.content } : {}),
    ...(options.title !== undefined ? { title: options.title } : {}),
    ...(options.description !== undefined ? { description: options.description } : {}),
  };
  const item = await editItem(bucket(options, ctx), args[0] ?? '', changes);
  if (options.json) printJson(itemView(item));
  else printText(`edited ${item.id}:\n${renderItem(itemView(item), true)}`);
  return 0;
}

// ---------------------------------------------------------------- history / undo

/** `history`. */
export async function runHistory(options: LessonsOptions, ctx: CommandContext): Promise<number> {
  const paths = bucket(options, ctx);
  const undoable = new Set(await undoableReceiptIds(paths));
  const undoDir = await undoRoot(paths);
  const receipts = (await readReceiptHistory(paths)).reverse().map((r) => {
    const items = Array.isArray(r.item_receipts) ? (r.item_receipts as Array<Record<string, unknown>>) : [];
    const id = String(r.receipt_id ?? '');
    return {
      receipt_id: id,
      run_status: r.run_status,
      finished_at: r.finished_at ?? null,
      processed_count: r.processed_count ?? 0,
      outcome_counts: r.outcome_counts ?? null,
      action: r.action ?? null,
      undoes: r.undoes ?? null,
      lifecycle: items.filter((i) => i.kind === 'lifecycle').length,
      undoable: undoable.has(id) && existsSync(join(undoDir, id, 'manifest.json')),
    };
  });
  if (options.json) {
    printJson({ state_dir: paths.stateDir, receipts });
    return 0;
  }
  if (receipts.length === 0) printText('No compile history yet.');
  for (const r of receipts) {
    const counts = r.outcome_counts as Record<string, number> | null;
    const detail =
      r.run_status === 'success' && counts
        ? `${String(r.processed_count)} envelope(s): ${counts.applied ?? 0} applied, ${counts.duplicate ?? 0} merged, ${counts.staged ?? 0} staged, ${counts.discarded ?? 0} discarded`
        : r.run_status === 'manual'
          ? `memory ${String(r.action)}`
          : r.run_status === 'undo'
            ? `undid ${String(r.undoes)}`
            : r.run_status === 'maintenance'
              ? `${r.lifecycle} lifecycle change(s) (stale / archived)`
              : '';
    printText(
      `${style(r.receipt_id, 'cyan')}  ${String(r.finished_at ?? '')}  ${String(r.run_status).padEnd(11)} ${detail}${r.undoable ? '' : style('  (no undo record)', 'dim')}`,
    );
  }
  return 0;
}

/** `undo <receipt-id>`. */
export async function runUndo(options: LessonsOptions, ctx: CommandContext, args: string[]): Promise<number> {
  const id = args[0] ?? '';
  if (!id) throw new UsageError('undo needs a receipt id (see `history`)');
  const result = await undoReceipt(bucket(options, ctx), id);
  if (options.json) printJson(result);
  else
    printText(
      `undid ${result.undone} (receipt ${result.receipt_id}):\n${result.files.map((f) => `  ${f.action} ${f.target}`).join('\n')}`,
    );
  return 0;
}
