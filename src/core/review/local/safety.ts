/**
 * The last guards on what the local reviewer proposes, about kinds of entries that are never safe to
 * store whatever mechanism produced them: a clause that only points at a command ("装依赖就这么装",
 * "use this command"), a convention scoped to now ("only this one column", "这次先这样"), a fix whose
 * change was a wipe or a typo, a fix titled by a traceback header, a command carrying one-off overrides.
 */
import { durableCommand, forcesThrough, isReadOnly, wipesState, withoutNarrowing } from './commands.js';
import type { SessionActions } from './commands.js';
import type { Proposal } from './proposal.js';
import { hasCjk } from './text.js';

/**
 * Words that point at something the turn did instead of saying it: "就这么装", "用这个命令", "直接用這個",
 * "like this", "this command", "that way". A rule made of them holds no text worth storing.
 */
export const POINTER =
  /就这么|就這麼|就这样|就這樣|照这样|照這樣|这么(装|启|跑|弄|搞|做|用|来|干)|這麼(裝|啟|跑|弄|搞|做|用|來)|(这|這)(个|個|条|條)命令|用(这|這)(个|個)(命令)?|(这|這)(个|個)就行|\b(do|run|install|start|launch|build|deploy|use|call|set up|generate)\b(?:\s+[\w-]+){0,3}?\s+(like (this|that)|this way|that way|the same way)\b|\b(this|that|the same) command\b|按(这|這)(个|個)(来|來|跑|装|裝|弄|走)|照着(这|這)(个|個)|照著(這|这)(個|个)|(刚才|剛才)那样|(刚才|剛才)那(个|個)命令|\bsame as (above|before)\b|\b(that's|that is|this is) the (command|way)\b/i;

/** The pointing words alone, removed from the clause that names what is done. */
const POINTER_WORDS =
  /就这么|就這麼|就这样|就這樣|照这样|照這樣|这么|這麼|(就)?用(这|這)(个|個)(命令)?|(这|這)(个|個|条|條)命令|(这|這)(个|個)就行|\b(like (this|that)|this way|that way|the same way)\b|\b(use |run )?(this|that|the same) command\b|按(这|這)(个|個)(来|來)?|照着(这|這)(个|個)|照著(這|这)(個|个)|(用)?(刚才|剛才)那(样|个命令|個命令)|\bsame as (above|before)\b|\b(that's|that is|this is) the (command|way)( to)?\b/gi;

/**
 * A clause scoped to now: "just this once", "only this one column", "for this PR", "这次先这样",
 * "今天先凑合", "暂时". What it says holds for today's work, not for the repository.
 */
export const SCOPED_TO_NOW =
  /\bjust (this|for) (once|now|today)\b|\b(this|that) once\b|\bonly (this|that) (one|once|time)\b|\bthis time\b|\bfor (now|today|the moment)\b|\b(only |just )?for (this|the current|today's) (pr|branch|ticket|task|change|release|run|migration)\b|\btemporar(y|ily)\b|这次|這次|这回|這回|今天先|先这样|先這樣|先凑合|先湊合|凑合|湊合|暂时|暫時|临时|臨時|就这一次|就這一次/i;

/** A one-off override of a setting for one run: `-o Train.batch_size=96`, `--set image.tag=dev`. */
const ONE_RUN_OVERRIDE = /(?:^|\s)(?:-o|--opt|--options|--set|--override|--cfg-options)[\s=]+[\w.[\]-]+=\S+/;

/** A fix step that wipes or cleans local state (`bazel clean --expunge`, `rm -rf ~/.cache/x`). */
export function cleansState(command: string): boolean {
  if (wipesState(command)) return true;
  return command
    .split(/&&|\|\||;/)
    .some((step) =>
      /^\s*(?:\S+\s+)?(clean|distclean|clobber|expunge|reset|nuke|invalidate-caches|cache-clean)\b/.test(
        step.replace(/^\s*(?:[A-Z_][A-Z0-9_]*=\S+\s+)*/, '').replace(/^(\S+\/)?(\S+)/, '$2'),
      ),
    );
}

/** Words by which the person calls the failure a typo: its fix is a one-off correction. */
const TYPO = /\btypos?\b|\bmisspel\w*|拼错|拼寫錯|拼写错|手误|手誤|笔误|筆誤|打错|打錯|写错字/i;

/** A failure about a local resource used up (disk, port), which a prune or a kill does fix. */
const SPENT_RESOURCE =
  /no space left|ENOSPC|disk (is )?full|EADDRINUSE|address already in use|port \d+ (is )?(already )?in use/i;

/**
 * True when a rule or fact is only a pointer: it points at something ("就这么装", "use this command") and
 * names no switch, path or file of its own that would say what is meant.
 */
export function bareNote(content: string): boolean {
  return POINTER.test(content) && !/(^|\s)--?[a-zA-Z]|\/|\b\w+\.[a-z]{1,5}\b/.test(content);
}

/** The title of a note that is a traceback header, not the line that says what is wrong. */
const TRACEBACK_TITLE = /Traceback \(most recent call last\)|^Fixing (Exception|Error|error|stack trace)\b/;

/**
 * True when a proposal must not be stored: see the module comment. `said` holds the person's own words
 * per turn (quotes masked).
 */
export function unsafeEntry(
  proposal: Proposal,
  said: ReadonlyMap<number, string>,
  actions?: SessionActions,
): boolean {
  const words = said.get(proposal.evidence.turn) ?? '';
  if (proposal.kind === 'preference' || proposal.kind === 'fact') {
    // "the tests here are run with `X`" and the session ran X, which failed and never passed: a
    // failing command is never stored as the way, whoever said it was.
    if (actions !== undefined && namesFailingRun(proposal.content, actions)) return true;
    // The clause itself is scoped to now ("only this one column"); a scoped word elsewhere in the
    // message ("这次顺便说一下，以后都用 pnpm") leaves the rule standing.
    if (SCOPED_TO_NOW.test(proposal.content.replace(/`[^`]*`/g, ' '))) return true;
    return !proposal.content.includes('`') && bareNote(proposal.content);
  }
  if (proposal.kind === 'error_fix') {
    if (TRACEBACK_TITLE.test(proposal.summary)) return true;
    if (TYPO.test(words.replace(/`[^`]*`|"[^"]*"|“[^”]*”|「[^」]*」/g, ' '))) return true;
    // No space left, a port in use: clearing that state is the fix, not a wipe that hides one.
    if (SPENT_RESOURCE.test(proposal.content)) return false;
    const steps = [...proposal.content.matchAll(/run `([^`]+)`/g)].map((match) => match[1] ?? '');
    return steps.some(cleansState);
  }
  if (proposal.kind === 'command') {
    // A one-off override or a run the person scoped to today is not "the way" unless they said so.
    const override = ONE_RUN_OVERRIDE.exec(proposal.content)?.[0]?.trim();
    if (override !== undefined && !words.includes(override.split(/[\s=]+/)[1] ?? override)) return true;
    // A run with values set for it (`KEY=v cmd`, `--batch=8`) in a turn the person scoped to today.
    const valued = [...proposal.content.matchAll(/`([^`]+)`/g)].some((match) =>
      /(^|\s)([A-Z_][A-Z0-9_]*=|--?[\w.-]+=)/.test(match[1] ?? ''),
    );
    return (
      valued &&
      SCOPED_TO_NOW.test(words) &&
      !/\b(always|from now on|every time)\b|以后|今后|每次|一律/i.test(words)
    );
  }
  return false;
}

/** True when a command quoted in the text was run in the session, failed, and never passed. */
function namesFailingRun(content: string, actions: SessionActions): boolean {
  const quoted = [...content.matchAll(/`([^`]+)`/g)].map((match) =>
    (match[1] ?? '').trim().replace(/\s+/g, ' '),
  );
  return quoted.some((command) => {
    const runs = actions.commands.filter(
      (run) => (durableCommand(run.command) ?? run.command).trim().replace(/\s+/g, ' ') === command,
    );
    return runs.length > 0 && runs.every((run) => run.exitCode !== undefined && run.exitCode !== 0);
  });
}

/**
 * "改完 proto 就用这个命令生成" after the turn ran `kratos proto client api/x.proto` successfully: the
 * pointer resolves to the last run of the turn that did something, when that run passes every guard a
 * learned command passes (durable, no forcing switch, no wipe, no one-off override, one step). The note
 * says how to do what the clause names, with that command; otherwise nothing (undefined).
 */
export function resolvePointer(
  proposal: Proposal,
  actions: SessionActions,
  turn: number,
): Proposal | undefined {
  if (proposal.kind !== 'preference' && proposal.kind !== 'fact') return undefined;
  if (proposal.content.includes('`') || !bareNote(proposal.content)) return undefined;
  if (SCOPED_TO_NOW.test(proposal.content)) return undefined;
  if (/\b(don'?t|do not|never|not|avoid|stop)\b|别|不要|不用|不能|禁止|勿/i.test(proposal.content))
    return undefined;
  const doing = actions.commands.filter(
    (run) => (run.turn === turn || run.turn === turn - 1) && !isReadOnly(run.command),
  );
  const clauseWords = new Set(
    (proposal.evidence.quote.toLowerCase().match(/[a-z][\w-]{2,}/g) ?? []).filter(
      (word) => !/^(this|that|the|like|way|command|one|use|run|and)$/.test(word),
    ),
  );
  // The run the pointer can refer to: the last one naming what the clause names ("改完 proto" → the
  // run holding `proto`), else the last run of the turn that did something.
  const named = doing.filter((run) =>
    run.command
      .toLowerCase()
      .split(/[\s/.:=]+/)
      .some((token) => clauseWords.has(token)),
  );
  // Nothing named: when the turn forced or wiped anything, the pointer may be at that run.
  if (named.length === 0 && doing.some((run) => forcesThrough(run.command) || cleansState(run.command)))
    return undefined;
  // Nothing named and runs of different tools: which one is meant cannot be told.
  const head = (command: string): string =>
    command
      .trim()
      .replace(/^timeout\s+\d+[smh]?\s+/, '')
      .split(/\s+/)
      .slice(0, 2)
      .join(' ');
  if (
    named.length === 0 &&
    new Set(doing.map((run) => head(durableCommand(run.command) ?? run.command))).size > 1
  )
    return undefined;
  const last = (named.length > 0 ? named : doing).at(-1);
  if (last === undefined || last.exitCode !== 0) return undefined;
  const durable = durableCommand(last.command);
  if (durable === undefined || /&&|\|\||[|;]/.test(durable)) return undefined;
  if (forcesThrough(durable) || cleansState(last.command) || ONE_RUN_OVERRIDE.test(durable)) return undefined;
  // The person pointed at this run: its paths stay; a time limit put on today's run does not.
  const command = durable.replace(/^timeout\s+\d+[smh]?\s+/, '');
  if (command.length > 100 || withoutNarrowing(command) === '') return undefined;
  const clause = proposal.evidence.quote
    .replace(/…$/, '')
    .split(/[\n。！!？?，,；;]/)
    .find((part) => POINTER.test(part))
    ?.trim()
    .replace(/[，,：:；;吧啊呀哈]+$/, '');
  // The clause without its pointer and its lead ("嗯 以后改完 proto 就用这个命令生成" → "改完 proto 生成").
  const topic = clause
    ?.replace(POINTER_WORDS, ' ')
    .replace(/\b(from now on|going forward|always|in future)\b/gi, ' ')
    .replace(/^(嗯|行|好的?|那|对|ok|okay|yes|yeah|sure|great|fine|cool)[，,.!！\s]*/i, '')
    .replace(/^(以后|以後|今后|今後|from now on,?|going forward,?)\s*/i, '')
    .replace(/\s*(就|都|也)?\s+(?=\S)/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/(\p{Script=Han})\s+(?=\p{Script=Han})/gu, '$1')
    .replace(/(\s|[，,：:]|(?<=\p{Script=Han})(就|都|也|还|還))+$/u, '')
    .trim();
  if (topic === undefined || topic.length < 2 || topic.length > 60) return undefined;
  const clauseText = topic;
  const chinese = hasCjk(topic);
  return {
    kind: 'command',
    family: 'recall_candidate',
    summary: chinese ? `命令：\`${command}\`` : `Command: \`${command}\``,
    content: chinese
      ? `${clauseText}：\`${command}\`。`
      : `${clauseText.charAt(0).toUpperCase()}${clauseText.slice(1).replace(/[.]$/, '')}: \`${command}\`.`,
    sourcePaths: [],
    evidence: proposal.evidence,
    confidence: 0.7,
    dedupeKey: command,
  };
}
