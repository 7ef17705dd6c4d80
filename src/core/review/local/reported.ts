/**
 * Fixes of a failure the reviewer did not see fail in this turn: the person described or pasted the
 * error ("uploads die with 504 Gateway Time-out", "上传就报 MaxUploadSizeExceededException"), or the
 * failing run was in an earlier turn of the session. The agent then changed a configuration
 * setting and checked it (a command that passed, a reply that says it works, or the person's "works
 * now" in the next turn). The change taken from the patch, with the error's identifying text, is a
 * recall note.
 *
 * What keeps it honest: the failure must be reported (failure words, a pasted error, or a failed
 * run), at least one edited file must configure something (code edits alone are the task), at most
 * two files changed and every change is readable from the patch, nothing failed after the last
 * edit, and the agent's reply does not doubt the result. Anything less is ambiguous: nothing.
 */
import type { Transcript } from '../types.js';
import { isCodexInjectedUserText } from '../transcript.js';
import {
  categoryOf,
  describeChange,
  durableCommand,
  errorLabel,
  errorLine,
  isConfigFile,
  isReadOnly,
  quietError,
  relation,
  type CommandRun,
  type SessionActions,
} from './commands.js';
import { laysOutProcedure } from './procedures.js';
import { MAX_QUOTE, type Proposal } from './proposal.js';
import { clip, hasCjk, maskQuoted, splitSentences } from './text.js';

/** A file of one machine's own settings. */
const LOCAL_FILE = /(^|\/)\.env(\.[\w-]+)?$|(^|\/|\.)local\.[\w]+$|\.local$/i;

/** A command that installs packages. */
const INSTALL =
  /^((npm|pnpm|yarn|bun) (i|install|add|ci)|yarn|(pip3?|uv pip|pipx|gem|cargo|composer) (install|add|require)|(poetry|uv) (add|install|sync)|go get|bundle (add|install))\b/;

/** The default install of a package manager: what any checkout runs, not part of a fix. */
const DEFAULT_INSTALL =
  /^((npm|pnpm|yarn|bun) (install|i|ci)|yarn|bundle install|poetry install|uv sync|pipenv install|composer install|pip3? install -r \S+)$/;

/** More files than this changed: which change fixed the reported failure is unclear. */
const MAX_FILES = 2;
/** Only this much of a message is read for a report (a pasted 50 MB log says nothing more). */
const MAX_MESSAGE = 20_000;

/** Words of a failure in the person's own English. */
const EN_FAILURE =
  /\b(errors?|erroring|fail(s|ed|ing|ure)?|crash(es|ed|ing)?|broken|breaks|throws?|throwing|exception|timed out|times out|time-out|refused|denied|dies|died|won't (start|build|run|load|compile|connect)|(doesn't|does not|don't|isn't|is not) (work|working|start|build|load|compile|resolve|connect)|not working|can'?t (resolve|find|connect|load|reach|start|import|compile|build)|cannot|unable to|warnings?|blocked|unhealthy|complain(s|ed|ing)?|screaming|yells?|yelling|barfs?|chokes?|blows? up|blew up|hangs|hang(?! on\b| tight\b| in there\b)|hanging|stuck|white screen|blank page|rejects?|rejected|refuses|evicts?|evicting|OOM|out of memory|not allowed|forbidden|unauthori[sz]ed|permission denied|OOMKilled|CrashLoopBackOff|ImagePullBackOff|ErrImagePull|CreateContainerConfigError|Evicted|(are|is|come back|comes back|came back|returns?|returned) (all |always )?(null|nil|undefined|NaN)|segfaults?|segmentation fault|core dumped|SIGSEGV|SIGKILL|exit(ed)? (code|status) [1-9]\d*)\b|\b(HTTP|status|code|got|gets|getting|returns?|returned|with)( an?)? [45]\d\d\b|\b[45]\d\d (error|bad|unauthori[sz]ed|forbidden|not found|payload|request|internal|gateway|service|too)\b/i;
/** Words of a failure in Chinese (or a Chinese sentence with an English warning). */
const ZH_FAILURE =
  /报错|报了?个?错|错误|失败|挂了|崩了|崩溃|超时|连不上|跑不起来|起不来|不生效|没生效|警告|异常|跨域|找不到|打不开|报\s?\d{3}|不通过|过不了|跑不通|编译不过|不过了|卡住|卡死|白屏|乱码|没反应|被杀|(?:就|返回|报了?|直接|一律|全是|都是)\s?[45]\d\d(?!\d)|(?:全|都)(?:是|为|变成)\s?(?:null|nil|undefined|NaN|空)|warning|error|OOMKilled|CrashLoopBackOff|ImagePullBackOff|Evicted|exit code [1-9]\d*/i;

/** A reply that doubts its own fix: not verified. */
const REPLY_DOUBT =
  /\b(should (now )?(work|fix|help)|try (again|it)|let me know|tell me if|if it (still|keeps)|cannot reproduce|can't reproduce|couldn't reproduce|not sure|still (fails|failing|broken|happens)|might|may need)\b|应该(可以|就|能)|试试|再看看|还是(不行|报错|失败|不够)|不确定|没法复现|无法复现/i;
/** A reply that says the fix works, when no command checked it after the edit. */
const REPLY_WORKS =
  /\b(works( now)?|working now|now (passes|works|loads|resolves)|passes|is clean|no (more )?(warnings?|errors?)|(builds|compiles|starts|loads|runs|connects) (now|fine|again|cleanly))\b|好了|正常了|通过了?|没有[^。]{0,10}(warning|报错|错误|警告)了|解决了|可以了|跑通了|起来了|能连上了|不报错了/i;

/**
 * A file of settings (yaml, toml, json, ini, properties, a server's conf, a tool's `*.config.ts`),
 * not a code module that happens to be called `config.ts`.
 */
function isSettingsFile(file: string): boolean {
  const name = file.split('/').at(-1) ?? file;
  return (
    isConfigFile(file) &&
    // `src/config.ts` is a module of the app; `.vitepress/config.ts` is the settings of a tool.
    (!/^(config|configs|settings|conf)\.[cm]?[jt]sx?$/i.test(name) || /(^|\/)\.[\w-]+\/[^/]+$/.test(file)) &&
    // Test data, translations and assets are content, whatever their format.
    !DATA_FOLDER.test(file)
  );
}

/**
 * Folders of data rather than settings: fixtures, snapshots, mocks, seeds, translations, assets.
 * Lower-case, as these conventions are: a capitalised `Assets/` is a Unity project's root, where
 * its build definitions (`*.asmdef`) live too.
 */
const DATA_FOLDER =
  /(^|\/)(fixtures?|testdata|test-data|__fixtures__|__snapshots__|__mocks__|mocks?|data|seeds?|locales?|i18n|translations?|lang|public|static|assets)\//;

/** A change that only turns something off (`enabled: true` → `false`): a workaround, not a fix. */
function turnsOff(change: string): boolean {
  const replaced = /change `([^`]*)` to `([^`]*)`/.exec(change);
  if (!replaced) return false;
  const [before = '', after = ''] = [replaced[1], replaced[2]];
  // The part that differs: `new_checkout: true` → `new_checkout: false` differs in `true`/`false`.
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start += 1;
  let end = 0;
  while (
    end < before.length - start &&
    end < after.length - start &&
    before[before.length - 1 - end] === after[after.length - 1 - end]
  )
    end += 1;
  // Widened to whole words on both sides (`true`/`false` share their last letter).
  const word = (text: string): string =>
    (/[\w-]*$/.exec(text.slice(0, start))?.[0] ?? '') +
    text.slice(start, text.length - end) +
    (/^[\w-]*/.exec(text.slice(text.length - end))?.[0] ?? '');
  return (
    /^(true|on|enabled?|yes|1)$/i.test(word(before)) && /^(false|off|disabled?|no|0)$/i.test(word(after))
  );
}

/** Commands that only look (a listing, a search); a request with `curl` checks the fix. */
function onlyLooks(command: string): boolean {
  return isReadOnly(command) && !/^\s*(curl|wget|http)\b/.test(command);
}

/** The person's own words of the turn (not text Codex injects). */
function humanText(turn: Transcript['turns'][number]): string {
  return turn.entries
    .filter((entry) => entry.kind === 'user' && !isCodexInjectedUserText(entry.text))
    .map((entry) => (entry.kind === 'user' ? entry.text.slice(0, MAX_MESSAGE) : ''))
    .join('\n');
}

/** A failure found in the person's message or in a run. */
export interface Failure {
  /** The error's identifying text: a pasted or logged error line, or the person's clause. */
  text: string;
  /** True when `text` is the person's own words rather than a tool's. */
  worded: boolean;
  /** A short name for the title. */
  label: string;
}

/**
 * The failure a message reports, or undefined when it reports none: a pasted error (a quoted or
 * tool-like line, a line after "shows:", a backticked span) read like a tool's output, else the
 * person's clause that names the failure.
 */
export function reportedFailure(text: string): Failure | undefined {
  if (text.trim() === '') return undefined;
  const lines = text.split('\n');
  const masked = maskQuoted(text).split('\n');
  const pasted: string[] = [];
  let afterLead = false;
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed.length > 600) return;
    const blanked = (masked[index] ?? '').trim();
    if (trimmed === '') {
      // A blank line right after the lead keeps it open; a blank after pasted lines closes it.
      if (afterLead && pasted.length > 0 && (lines[index - 1] ?? '').trim() !== '') afterLead = false;
      return;
    }
    if (afterLead || (blanked !== '' && /^_+$/.test(blanked.replace(/\s/g, '')))) pasted.push(trimmed);
    for (const match of trimmed.matchAll(/`([^`\n]{4,300})`/g)) pasted.push(match[1] ?? '');
    if (/[:：]$/.test(trimmed)) afterLead = true;
  });
  const fromPaste = errorLine(pasted.join('\n'));
  if (fromPaste !== undefined) return toolFailure(fromPaste.line);
  const failingPaste = pasted.find((line) => EN_FAILURE.test(line) && !/^[@./\w-]+$/.test(line));
  // "I can't find the wrapper", "我找不到": the person not finding something is no failure of the software.
  // "no error, it just sits there", "没有报错": a failure word denied names no failure.
  const own = (sentence: string): string =>
    hasCjk(sentence)
      ? sentence.replace(/我(也)?(找不到|打不开)|没(有)?(任何)?(报错|错误|异常)|不报错/g, ' ')
      : sentence
          .replace(/`[^`]*`/g, (span) => '_'.repeat(span.length))
          .replace(/\b(no|without|not an?|zero) (errors?|exceptions?|warnings?|crash(es)?)\b/gi, (span) =>
            '_'.repeat(span.length),
          )
          .replace(/\bI (can'?t|cannot|couldn'?t|am unable to) \w+/gi, (span) => '_'.repeat(span.length));
  const failing = (sentence: string): RegExpExecArray | null =>
    hasCjk(sentence)
      ? (ZH_FAILURE.exec(own(sentence)) ?? EN_FAILURE.exec(own(sentence).replace(/[\u4e00-\u9fff]+/g, ' ')))
      : EN_FAILURE.exec(own(sentence));
  const worded = splitSentences(text)
    .map((sentence) => sentence.text)
    .find((sentence) => sentence.length <= 400 && failing(sentence) !== null);
  if (failingPaste !== undefined && worded !== undefined) return toolFailure(clip(failingPaste, 180));
  // "the console says "process is not defined"": a message quoted in the sentence that reports it.
  const quoted = worded
    ? [...worded.matchAll(/"([^"\n]{8,200})"|“([^”\n]{8,200})”|`([^`\n]{8,200})`/g)]
        .map((match) => match[1] ?? match[2] ?? match[3] ?? '')
        .find((span) => span.trim().split(/\s+/).length >= 3)
    : undefined;
  if (quoted !== undefined) return toolFailure(quoted);
  if (worded === undefined) return undefined;
  // The clause that names the failure, up to the request that follows it ("…, can you sort it out?").
  const clauses = worded
    .split(/[,，;；]\s*(?=(?:can|could|would|will) you\b|please\b|帮我|帮忙|你看|麻烦|能不能)/i)[0]!
    .split(/(?<=[,，;；])\s*/);
  const at = clauses.findIndex((clause) => failing(clause) !== null);
  const clause = (clauses.slice(Math.max(at, 0)).join(hasCjk(worded) ? '' : ' ') || worded).replace(
    /[,，:：;；。.!！?？\s]+$/,
    '',
  );
  const match = failing(clause);
  const words = clause.split(/\s+/);
  // Title: a few words around the failure word ("tsc say they can't resolve the `@/lib/...` imports").
  let label = clause;
  if (!hasCjk(clause) && match !== null && words.length > 9) {
    const index = clause.slice(0, match.index).split(/\s+/).length - 1;
    label = words
      .slice(Math.max(0, index - 3), index + 6)
      .join(' ')
      .replace(/(\s+(the|a|an|in|of|to|for|on|at|with|and|or|from|by))+$/i, '');
  } else if (hasCjk(clause) && clause.length > 30) {
    // "调接口一直报跨域：blocked by CORS policy: …": the part before the pasted text names it.
    const head = clause.split(/[:：，,]/)[0] ?? clause;
    label = head.length >= 4 && head.length <= 30 ? head : clause.slice(0, 30).replace(/\s*[\w.-]+$/, '');
  }
  return { text: clip(clause, 180), worded: true, label: label.replace(/[`,，:：;；。.!！?？\s]+$/, '') };
}

/** A failure named by a tool's line (pasted or from a run). */
function toolFailure(line: string): Failure {
  return { text: line, worded: false, label: errorLabel(line).replace(/[。.!！\s]+$/, '') };
}

/**
 * Proposes the fix of a reported (or earlier) failure made in the session's latest turn by a
 * configuration edit that was checked. `learned` are the proposals of the run-based extractors:
 * when they already learned a fix in this turn, nothing more is proposed.
 */
export function extractReportedFixes(
  window: Transcript,
  actions: SessionActions,
  learned: readonly Proposal[],
): Proposal[] {
  const latest = window.turns.at(-1);
  if (latest === undefined) return [];
  const fixedIn = (turn: number): boolean =>
    learned.some((proposal) => proposal.kind === 'error_fix' && proposal.evidence.turn === turn);
  if (fixedIn(latest.index)) return [];
  const own = fixOfTurn(window, actions, false);
  if (own.length > 0) return own;
  // "works now, thanks" / "好了": the person confirms the previous turn's change, which was not
  // checked then. Learned now, once: not when that turn's own review already learned it.
  const previous = window.turns.at(-2);
  const said = humanText(latest);
  if (
    previous === undefined ||
    fixedIn(previous.index) ||
    actions.patches.some((patch) => patch.turn === latest.index) ||
    said.length > 120 ||
    !PERSON_CONFIRMS.test(said) ||
    /\b(not|still|but)\b|n't|没|还是|不/i.test(said)
  )
    return [];
  const before = { ...window, turns: window.turns.slice(0, -1) };
  const earlier = {
    commands: actions.commands.filter((run) => run.turn < latest.index),
    patches: actions.patches.filter((patch) => patch.turn < latest.index),
  };
  if (fixOfTurn(before, earlier, false).length > 0) return [];
  return fixOfTurn(before, earlier, true).map((proposal) => ({
    ...proposal,
    evidence: { ...proposal.evidence, turn: latest.index },
  }));
}

/** The person saying the change worked. */
const PERSON_CONFIRMS =
  /\b(works( now)?|working( now)?|that (fixed|did) it|fixed( it)?|all good|good now)\b|好了|可以了|解决了|没问题了|正常了|能用了|跑通了/i;

/**
 * The fix made in the window's last turn, when it answers a reported failure and was checked (or,
 * `confirmedByPerson`, the person said in the next turn that it works).
 */
function fixOfTurn(window: Transcript, actions: SessionActions, confirmedByPerson: boolean): Proposal[] {
  const latest = window.turns.at(-1);
  if (latest === undefined) return [];
  const patches = actions.patches.filter((patch) => patch.turn === latest.index);
  if (patches.length === 0) return [];
  // A turn that follows a procedure the person laid out (bump VERSION, run the changelog script) is
  // that procedure, not a fix.
  if (laysOutProcedure(humanText(latest))) return [];
  // Creating this machine's own settings (`.env` from its example, `config/local.yml`) is setting up
  // a checkout, a one-off like copying a file; a note that holds it invites redoing it.
  const created = patches.flatMap((patch) =>
    [...patch.body.matchAll(/^\*\*\* Add File: (.+)$/gm)].map((match) => (match[1] ?? '').trim()),
  );
  if (created.some((file) => LOCAL_FILE.test(file))) return [];
  const files = [...new Set(patches.flatMap((patch) => patch.files))];
  if (files.length > MAX_FILES || !files.some(isSettingsFile)) return [];
  const changes = files.map((file) => describeChange(patches, file));
  if (changes.some((change) => change === undefined || /^edit `/.test(change))) return [];
  if (changes.every((change) => turnsOff(change ?? ''))) return [];

  const lastEdit = Math.max(...patches.map((patch) => patch.order));
  const runs = actions.commands.filter((run) => run.turn === latest.index);
  const after = runs.filter((run) => run.order > lastEdit);
  // Anything that failed after the last edit: not fixed (or not known to be).
  if (after.some((run) => run.exitCode !== 0 && !onlyLooks(run.command))) return [];
  const reply =
    latest.entries
      .filter((entry) => entry.kind === 'assistant')
      .map((entry) => (entry.kind === 'assistant' ? entry.text : ''))
      .at(-1) ?? '';
  if (REPLY_DOUBT.test(reply) && !confirmedByPerson) return [];
  // An install of a named package in the turn (`npm i -D @types/node` beside a `types` setting) is
  // part of the fix, not its check; a bare default install is neither.
  const isInstall = (run: CommandRun): boolean => INSTALL.test(durableCommand(run.command) ?? '');
  const installs = runs
    .filter((run) => run.exitCode === 0 && isInstall(run))
    .map((run) => durableCommand(run.command, { fixStep: true }))
    .filter((command): command is string => command !== undefined && !DEFAULT_INSTALL.test(command));
  const checks = after.filter((run) => run.exitCode === 0 && !onlyLooks(run.command) && !isInstall(run));
  if (checks.length === 0 && !REPLY_WORKS.test(reply) && !confirmedByPerson) return [];

  const error = failureOf(window, actions, latest.index, checks);
  if (error === undefined) return [];
  // The check is the last step of what ran (`docker compose down -v && docker compose up --wait`
  // checks with `up`): the steps before it set the stage and are not to be repeated from a note.
  const check = checks
    .map((run) =>
      durableCommand(run.command)
        ?.split(/\s*&&\s*/)
        .at(-1),
    )
    // Only a run of a known kind (tests, a build, a linter) is named: a one-time check with its own
    // arguments (`sbatch --wait -N2 train.sbatch --max-steps 50`, a `curl` of a crafted request) is
    // not something to repeat from a note.
    .find(
      (command): command is string =>
        command !== undefined && command.length <= 100 && categoryOf(command) !== undefined,
    );
  const chinese = hasCjk(error.text) || hasCjk(humanText(latest));
  const said = error.worded
    ? chinese
      ? `现象：${quietError(error.text)}。解决`
      : `Symptom: ${quietError(error.text)}. Fix`
    : chinese
      ? `出现 ${quietError(error.text)} 时`
      : `When you see ${quietError(error.text)}`;
  const then =
    check === undefined
      ? chinese
        ? '之后就正常了'
        : 'after that it works'
      : chinese
        ? `之后 \`${check}\` 通过`
        : `after that \`${check}\` passes`;
  const ran = installs.slice(0, 2).map((command) => `\`${command}\``);
  const steps = [
    ...(ran.length === 0 ? [] : [chinese ? `运行 ${ran.join('、')}` : `run ${ran.join(', then ')}`]),
    ...changes.map((change) => change ?? ''),
  ];
  const written = chinese ? steps.map((change) => inChinese(change)) : steps;
  const content = chinese
    ? `${said}：${written.join('，并且')}；${then}。`
    : `${said}: ${written.join(', and ')}; ${then}.`;
  return [
    {
      kind: 'error_fix',
      family: 'recall_candidate',
      // The person's own words make a poor title ("the runner won't compile it, says it can't"): the
      // file that was changed names the fix.
      summary: error.worded
        ? chinese
          ? `修复：${files.map((file) => file.split('/').at(-1)).join('、')} 的设置`
          : `Fix in ${files.map((file) => `\`${file.split('/').at(-1)}\``).join(' and ')}`
        : chinese
          ? `修复：${error.label}`
          : `Fixing ${error.label}`,
      content,
      sourcePaths: files,
      evidence: { turn: latest.index, quote: clip(error.text, MAX_QUOTE) },
      confidence: 0.7,
      dedupeKey: error.text,
    },
  ];
}

/** A change described for a Chinese note ("在 `a.yml` 把 `x` 改成 `y`"); spans stay byte-exact. */
function inChinese(change: string): string {
  const replaced = /^in (`[^`]+`) change (`[^`]*`) to (`[^`]*`)$/.exec(change);
  if (replaced) return `在 ${replaced[1]} 把 ${replaced[2]} 改成 ${replaced[3]}`;
  const added = /^in (`[^`]+`) add (.+)$/.exec(change);
  if (added) return `在 ${added[1]} 加上 ${added[2]?.replace(/` and `/g, '` 和 `')}`;
  return change;
}

/**
 * The failure the latest turn's edit answers: reported in the latest message, else a run that
 * failed in an earlier turn (and did not pass since) which the check re-runs, else a report in
 * the turn just before when that turn changed nothing.
 */
function failureOf(
  window: Transcript,
  actions: SessionActions,
  latest: number,
  checks: readonly CommandRun[],
): Failure | undefined {
  const turns = window.turns;
  const now = reportedFailure(humanText(turns.at(-1)!));
  if (now !== undefined) return now;
  const earlier = actions.commands.filter((run) => run.turn < latest);
  for (let index = earlier.length - 1; index >= 0; index -= 1) {
    const failed = earlier[index]!;
    if (failed.exitCode === undefined || failed.exitCode === 0 || isReadOnly(failed.command)) continue;
    const durable = durableCommand(failed.command);
    if (durable === undefined) continue;
    const passedSince = earlier.some(
      (run) =>
        run.order > failed.order &&
        run.exitCode === 0 &&
        durableCommand(run.command) !== undefined &&
        relation(durable, durableCommand(run.command) ?? '') !== 'different',
    );
    if (passedSince) break;
    const rerun = checks.some((run) => {
      const checked = durableCommand(run.command);
      return (
        checked !== undefined &&
        (relation(durable, checked) !== 'different' ||
          (categoryOf(durable) !== undefined && categoryOf(durable) === categoryOf(checked)))
      );
    });
    const error = errorLine(failed.output);
    if (rerun && error !== undefined) return toolFailure(error.line);
    break;
  }
  const before = turns.at(-2);
  if (before === undefined || actions.patches.some((patch) => patch.turn === before.index)) return undefined;
  return reportedFailure(humanText(before));
}
