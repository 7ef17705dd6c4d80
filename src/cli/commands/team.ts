/**
 * `team share | unshare | status`: team memory through git. Lessons of this repository
 * are copied into `.codex-self-evolution/` of the checkout (skills into `.agents/skills/`), where
 * teammates receive them with `git pull`; nothing is committed or pushed by this tool.
 * Human-readable text by default, `--json` for machines.
 */
import {
  resolveStatePaths,
  shareEntries,
  teamStatus,
  unshareEntry,
  type ShareOutcome,
  type StatePaths,
} from '../../core/index.js';
import { printJson, printText } from '../output.js';
import type { CommandContext } from '../context.js';

export interface TeamOptions {
  repo?: string;
  stateDir?: string;
  home?: string;
  json?: boolean;
  all?: boolean;
  dryRun?: boolean;
}

function bucket(options: TeamOptions, ctx: CommandContext): StatePaths {
  return resolveStatePaths({
    cwd: options.repo ?? process.cwd(),
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    home: ctx.invocation.home,
  });
}

function oneLine(text: string, max = 90): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function outcomeLine(o: ShareOutcome, dryRun: boolean): string {
  const verb =
    dryRun && (o.action === 'created' || o.action === 'updated') ? `would be ${o.action}` : o.action;
  return `  ${verb.padEnd(16)} ${o.target}  ${oneLine(o.title, 60)}${o.reason ? `\n${' '.repeat(19)}(${o.reason})` : ''}`;
}

/** `team share [<id>...] [--all] [--dry-run]`. Exit 1 when a named id was refused. */
export async function runShare(options: TeamOptions, ctx: CommandContext, args: string[]): Promise<number> {
  const result = await shareEntries(bucket(options, ctx), {
    ids: args,
    ...(options.all ? { all: true } : {}),
    ...(options.dryRun ? { dryRun: true } : {}),
  });
  const counts: Record<string, number> = {};
  for (const o of result.outcomes) counts[o.action] = (counts[o.action] ?? 0) + 1;
  Object.assign(ctx.invocation.extras, { outcome_counts: counts, dry_run: result.dry_run });
  if (options.json) printJson(result);
  else {
    if (result.outcomes.length === 0) printText('Nothing eligible to share (see `team status`).');
    else {
      const any = result.outcomes.some((o) => o.action === 'created' || o.action === 'updated');
      printText(
        `${result.dry_run ? 'Would share into' : any ? 'Shared into' : 'Nothing written to'} ${result.root}:`,
      );
      for (const o of result.outcomes) printText(outcomeLine(o, result.dry_run));
      const written = (counts.created ?? 0) + (counts.updated ?? 0);
      if (!result.dry_run && written > 0)
        printText('\nNothing was committed: review `git diff` and commit the files like any change.');
    }
  }
  return result.outcomes.some((o) => o.action === 'refused') ? 1 : 0;
}

/** `team unshare <id>`. */
export async function runUnshare(options: TeamOptions, ctx: CommandContext, args: string[]): Promise<number> {
  const result = await unshareEntry(bucket(options, ctx), args[0] ?? '');
  if (options.json) printJson(result);
  else printText(`Removed ${result.removed} (commit the removal to take it out for the team).`);
  return 0;
}

/** `team status`. */
export async function runStatus(options: TeamOptions, ctx: CommandContext): Promise<number> {
  const status = await teamStatus(bucket(options, ctx));
  Object.assign(ctx.invocation.extras, {
    shared: status.shared.length,
    eligible: status.eligible.length,
    conflicts: status.conflicts.length,
    stale: status.stale.length,
  });
  if (options.json) {
    printJson(status);
    return 0;
  }
  const lines: string[] = [`Shared store: ${status.store}${status.exists ? '' : ' (not created yet)'}`];
  lines.push(`\nShared entries (${status.shared.length}):`);
  for (const s of status.shared)
    lines.push(
      `  ${s.id.padEnd(14)} ${s.kind.padEnd(7)} ${oneLine(s.title, 60)}${s.stale ? `  [stale: ${s.stale}]` : ''}`,
    );
  if (status.shared_skills.length > 0) lines.push(`Shared skills: ${status.shared_skills.join(', ')}`);
  lines.push(`\nEligible to share (${status.eligible.length}):`);
  for (const e of status.eligible)
    lines.push(
      `  ${e.id.padEnd(14)} ${e.kind.padEnd(7)} ${oneLine(e.title, 60)}${e.state === 'differs' ? '  [differs from the shared copy]' : ''}`,
    );
  if (status.eligible.length > 0) lines.push('  → `team share <id>...` or `team share --all`');
  lines.push(`\nConflicts between team and personal entries (${status.conflicts.length}):`);
  for (const c of status.conflicts)
    lines.push(`  ${c.teamFile} vs your ${c.personalId ?? 'entry'}: ${c.winner} wins for you (${c.reason})`);
  lines.push(`\nStale shared entries (${status.stale.length}):`);
  for (const s of status.stale) lines.push(`  ${s.file}: ${s.reason}  → edit it or \`team unshare ${s.id}\``);
  if (status.problems.length > 0) {
    lines.push(`\nSkipped files (${status.problems.length}):`);
    for (const p of status.problems) lines.push(`  ${p}`);
  }
  const kept = status.not_eligible.length;
  if (kept > 0)
    lines.push(
      `\n${kept} local entr${kept === 1 ? 'y stays' : 'ies stay'} home (USER entries, under review, flagged, secrets, local paths): --json lists why.`,
    );
  printText(lines.join('\n'));
  return 0;
}
