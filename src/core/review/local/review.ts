/**
 * The local reviewer: deterministic, offline lesson extraction from a (redacted) transcript into
 * a ReviewerOutput. It reviews the session's latest turn (the one the Stop hook
 * fired for); the earlier turns of the session are context only (an error in one turn fixed in
 * the next), so no turn is reviewed twice. It proposes what a careful human would remember and
 * nothing rather than noise:
 *
 * - rules, preferences and project facts the human stated (→ memory_updates: `user` for the
 *   person's own habits and tastes, `global` for the repository), from their own messages only;
 * - procedures the human laid out (→ one recall_candidate with the steps in order);
 * - the command that worked where another failed, errors and the change that fixed them, files
 *   worked on repeatedly (→ recall_candidate).
 *
 * A turn without a human message, or in a language other than English or Chinese, teaches
 * nothing. Lessons already in USER.md / MEMORY.md are skipped. `skill_action` is always empty.
 */
import type { Transcript } from '../types.js';
import { cleanTextProblems } from './clean.js';
import {
  collectActions,
  durableCommand,
  extractCommandLessons,
  forcesThrough,
  isReadOnly,
  withoutNarrowing,
} from './commands.js';
import { dropRepeats, isKnown, parseExisting } from './dedupe.js';
import { extractFileFocus } from './files.js';
import {
  EN_RETRACTION,
  EN_UNDECIDED,
  extractPreferences,
  ZH_RETRACTION,
  ZH_UNDECIDED,
} from './preferences.js';
import { extractProcedures, laysOutProcedure } from './procedures.js';
import type { Proposal } from './proposal.js';
import { extractReportedFixes } from './reported.js';
import { bareNote, resolvePointer, unsafeEntry } from './safety.js';
import { contentWords, hasCjk, isOtherLanguage, maskQuoted, splitSentences } from './text.js';
import { isCodexInjectedUserText } from '../transcript.js';
import { extractCarriedOut, extractKeptSteps } from './carried-out.js';

/** One item of a ReviewerOutput family. */
export interface ReviewerOutputItem {
  summary: string;
  details: Record<string, unknown>;
  confidence: number;
}

/** The ReviewerOutput object. */
export interface ReviewerOutput {
  memory_updates: ReviewerOutputItem[];
  recall_candidate: ReviewerOutputItem[];
  skill_action: ReviewerOutputItem[];
}

/** Options of {@link reviewLocally}. */
export interface LocalReviewOptions {
  /** Proposals below this confidence are dropped (default 0.5). */
  minConfidence?: number;
  /** At most this many memory updates (default 8) and recall candidates (default 5). */
  maxMemoryUpdates?: number;
  maxRecallCandidates?: number;
  /** Earlier turns of the session used as context (default {@link CONTEXT_TURNS}). */
  contextTurns?: number;
  /**
   * Also propose "repeated work in <folder>" notes (default false): where work happened is weak
   * evidence of a lesson and, on held-out sessions, mostly noise.
   */
  fileFocus?: boolean;
}

/** Share of CJK characters among the letters of a text. */
function cjkShare(text: string): number {
  const letters = [...text.replace(/[\s\d\p{P}\p{S}]/gu, '')];
  return letters.length === 0 ? 0 : letters.filter((char) => hasCjk(char)).length / letters.length;
}

/** How many earlier turns of the session the reviewer reads as context for the latest one. */
export const CONTEXT_TURNS = 3;
/** Context is also bounded in size: earlier turns beyond this many characters are left out. */
const CONTEXT_CHARS = 200_000;

const KIND_ORDER: Record<Proposal['kind'], number> = {
  preference: 0,
  fact: 1,
  procedure: 2,
  command: 3,
  error_fix: 4,
  files: 5,
};

/**
 * All proposals about the transcript's latest turn, before filtering (exposed for tests). Earlier
 * turns (at most `contextTurns`, within a size budget) are read as context.
 */
export function proposeLessons(
  transcript: Transcript,
  contextTurns = CONTEXT_TURNS,
  fileFocus = false,
): Proposal[] {
  const latest = transcript.turns.at(-1);
  if (latest === undefined) return [];
  const human = latest.entries
    .filter((entry) => entry.kind === 'user')
    .map((entry) => (entry.kind === 'user' ? entry.text : ''));
  // No human message (a hook-started turn, only tool output) or a language we cannot read: no
  // suggestion rather than a wrong one.
  if (human.length === 0 || human.every((text) => isOtherLanguage(text))) return [];
  const window = contextWindow(transcript, contextTurns);
  const actions = collectActions(window);
  // A message laying out a procedure is one recall note, not a handful of rules and facts.
  const procedureTexts = human.filter((text) => laysOutProcedure(text));
  const stated = extractPreferences(window).filter(
    (proposal) =>
      proposal.evidence.turn !== latest.index ||
      !procedureTexts.some((text) => text.includes(proposal.evidence.quote.replace(/…$/, ''))),
  );
  const said = new Map(
    window.turns.map((turn) => [
      turn.index,
      turn.entries
        .filter((entry) => entry.kind === 'user' && !isCodexInjectedUserText(entry.text))
        .map((entry) => (entry.kind === 'user' ? maskQuoted(entry.text) : ''))
        .join('\n'),
    ]),
  );
  const fromRuns = extractCommandLessons(actions, { said });
  // A turn that asks a question and only wants it answered ("想问下 A 跟 B 差在哪? 我们 X 现在用 A …
  // 先别改 code, just explain"): what it states is the background of the question, not a lesson,
  // unless it says it stands from now on.
  const asked = new Set([...said].filter(([, text]) => questionTurn(text)).map(([index]) => index));
  const proposals = [
    ...stated.filter(
      (proposal) =>
        !asked.has(proposal.evidence.turn) ||
        (proposal.kind !== 'preference' && proposal.kind !== 'fact') ||
        STANDS.test(proposal.evidence.quote),
    ),
    ...extractProcedures(window),
    ...extractCarriedOut(window, actions),
    ...extractKeptSteps(window, actions),
    ...fromRuns,
    ...extractReportedFixes(window, actions, fromRuns),
    ...(fileFocus ? extractFileFocus(window, actions) : []),
  ];
  // "ok 记住这个：跑 e2e 之前先 compose up --wait": a rule restating what an earlier turn of the
  // session already taught (the fix it saw) is that lesson again, not a new one.
  const taught = extractCommandLessons(actions)
    .filter((proposal) => proposal.evidence.turn < latest.index)
    .map((proposal) => contentWords(proposal.content));
  const own = proposals
    .filter(
      (proposal) =>
        proposal.evidence.turn === latest.index &&
        !(
          (proposal.kind === 'preference' || proposal.kind === 'fact') &&
          restates(proposal.content, taught, POINTS_AT_LESSON.test(proposal.evidence.quote))
        ),
    )
    .map((proposal) => withCommandThatRan(proposal, actions, latest.index))
    .filter((proposal) => !placesTodaysWork(proposal, window))
    // "装依赖就这么装吧": a clause that points at a command is never stored as text; it is the command
    // the turn ran, when that run is safe to learn, or nothing.
    .flatMap((proposal) => {
      if ((proposal.kind !== 'preference' && proposal.kind !== 'fact') || proposal.content.includes('`'))
        return [proposal];
      if (!bareNote(proposal.content)) return [proposal];
      const resolved = resolvePointer(proposal, actions, latest.index);
      return resolved === undefined ? [] : [resolved];
    });
  const all = human.some((text) => REMEMBER_EARLIER.test(text))
    ? [...own, ...rememberedFixes(window, actions, latest.index)]
    : own;
  return all.filter((proposal) => !unsafeEntry(proposal, said, actions));
}

/**
 * "以后 artisan 的东西都走 sail" after the turn ran `./vendor/bin/sail artisan migrate` successfully: the
 * rule names the tools the run opens with (`sail`, then `artisan`), so the note names that head of the
 * command (`./vendor/bin/sail artisan`), never what followed it today.
 */
function withToolThatRan(
  proposal: Proposal,
  actions: ReturnType<typeof collectActions>,
  turn: number,
): Proposal {
  if (
    /\b(don'?t|do not|never|no|not|without|avoid|stop)\b|别|不要|不用|不能|禁止|勿|不准|不许/i.test(
      proposal.content,
    )
  )
    return proposal;
  const named = new Set(
    (proposal.content.toLowerCase().match(/[a-z][\w-]{2,}/g) ?? []).filter((word) => !STOP_WORDS.has(word)),
  );
  if (named.size < 2) return proposal;
  for (const run of actions.commands) {
    if ((run.turn !== turn && run.turn !== turn - 1) || run.exitCode !== 0 || isReadOnly(run.command))
      continue;
    const command = durableCommand(run.command);
    if (command === undefined || /&&|\|\||[|;]/.test(command) || forcesThrough(command)) continue;
    const tokens = command.split(/\s+/);
    const names = tokens.map((token) => (token.split('/').at(-1) ?? token).toLowerCase());
    // The run opens with the named tools, one after the other: `sail artisan`, `poetry run pytest`.
    let head = 0;
    while (head < names.length && named.has(names[head] ?? '')) head += 1;
    if (head < 2) continue;
    const tool = tokens.slice(0, head).join(' ');
    if (proposal.content.includes(tool)) return proposal;
    const chinese = hasCjk(proposal.content);
    const content = chinese
      ? `${proposal.content.replace(/[。.]\s*$/, '')}（\`${tool}\`）。`
      : `${proposal.content.replace(/[.]\s*$/, '')} (\`${tool}\`).`;
    return { ...proposal, content };
  }
  return proposal;
}

/** Words a rule uses that name no tool (`run` may: `poetry run pytest`). */
const STOP_WORDS = new Set(['the', 'and', 'all', 'for', 'with', 'our', 'you', 'via', 'always', 'never']);

/**
 * "这个包跑测试一定要加 -race -count=1" and the turn ran `go test -race -count=1 ./internal/dispatcher/...`
 * successfully: the rule names its switches, the run shows the command they belong to, so the note
 * names that command (without the path of the day) for a future agent to run as is.
 */
function withCommandThatRan(
  proposal: Proposal,
  actions: ReturnType<typeof collectActions>,
  turn: number,
): Proposal {
  if (proposal.kind !== 'preference' && proposal.kind !== 'fact') return proposal;
  if (proposal.content.includes('`')) return proposal;
  const switches = [
    ...proposal.content.matchAll(/(?:^|[\s(（,，])(--?[a-zA-Z][\w-]*(?:=[\w.:/-]+)?)(?=$|[\s)）,，。.;；])/g),
  ]
    .map((match) => match[1] ?? '')
    .filter((token) => token.length >= 2);
  if (switches.length === 0) return withToolThatRan(proposal, actions, turn);
  // "Don't use --ignore-platform-reqs", "别加 --force": a rule against a switch is never completed
  // with a command that holds it.
  const before = proposal.content.slice(0, proposal.content.indexOf(switches[0] ?? ''));
  if (/\b(don'?t|do not|never|no|not|without|avoid|stop)\b|别|不要|不用|不能|禁止|勿|不准|不许/i.test(before))
    return proposal;
  const ran = actions.commands
    .filter((run) => run.turn === turn && run.exitCode === 0 && !isReadOnly(run.command))
    .map((run) => durableCommand(run.command))
    .find(
      (command): command is string =>
        command !== undefined &&
        !command.includes('&&') &&
        !forcesThrough(command) &&
        switches.every((token) => command.split(/\s+/).includes(token)),
    );
  if (ran === undefined) return proposal;
  const command = withoutNarrowing(ran);
  // Only the tool, its sub-command and the rule's own switches: a run with more (an inventory, a host
  // limit, a file of the day) is today's run, not the command the rule is about.
  // (A switch's value the rule also gives, `-p 1`, belongs to the switch.)
  const said = new Set(proposal.content.split(/[\s，,。；;（）()]+/));
  const others = command.split(/\s+/).filter((token) => !switches.includes(token) && !said.has(token));
  if (others.length > 3 || others.some((token) => token.startsWith('-') || /[/=]/.test(token)))
    return proposal;
  if (command.length > 100 || proposal.content.includes(command)) return proposal;
  const chinese = hasCjk(proposal.content);
  const content = chinese
    ? `${proposal.content.replace(/[。.]\s*$/, '')}（\`${command}\`）。`
    : `${proposal.content.replace(/[.]\s*$/, '')} (\`${command}\`).`;
  return { ...proposal, content };
}

/** True when most of a rule's specific words (a tool, a flag, a path) are those of a lesson taught before. */
function restates(content: string, taught: ReadonlyArray<Set<string>>, pointed = false): boolean {
  const specific = [...contentWords(content)].filter(
    (word) => !hasCjk(word) && (word.length >= 4 || /[-/._:\d]/.test(word)),
  );
  if (specific.length < 2) return false;
  return taught.some((words) => {
    const shared = specific.filter((word) => words.has(word)).length;
    // "remember that one, every fresh clone needs the dependency build …": pointing back at what was
    // just learned, two specific words of it are enough to say it is that lesson again.
    return shared >= 2 && (pointed || shared / specific.length >= 0.6);
  });
}

/** "X 直接放 /api 下面", "X goes in src/jobs": where a thing is put. */
const PLACEMENT =
  /^(.{2,30}?)\s*(?:直接|就|都|也)?(?:放在|放到|放|写在|写到|挂在|挂到)\s*\S|^(.{3,40}?)\s+(?:goes|go|lives|live|belongs|belong) (?:in|into|under|to)\b/i;
/** Words that make a placement a standing rule rather than today's decision. */
const STANDING_PLACEMENT =
  /以后|今后|一律|统一|所有|全部|每个|任何|都|always|never|every|all|any|from now on|going forward|in this repo/i;
/** Requests of a task ("新写的房态接口加一下", "add the export endpoint"). */
const TASK_REQUEST =
  /加一下|加个|写一下|写个|帮我|做一下|实现|新增|新写|\b(add|write|create|implement|build|make|scaffold)\b/i;

/**
 * "新写的房态接口加一下" then "房态接口直接放 /api 下面": where the thing the person asked for today
 * goes is a decision about that piece of work, not a rule for the repository, unless it says it stands
 * (以后, 所有, always …).
 */
function placesTodaysWork(proposal: Proposal, window: Transcript): boolean {
  if (proposal.family !== 'memory_updates' || STANDING_PLACEMENT.test(proposal.content)) return false;
  const placed = PLACEMENT.exec(proposal.content.trim());
  const subject = (placed?.[1] ?? placed?.[2] ?? '').trim().replace(/^(the|this|that|our)\s+/i, '');
  if (subject.length < 2) return false;
  // "the retry wrapper goes in src/net/retry.ts, add it there": the same message puts it there now.
  if (
    /\b(add|put|create|write|move) (it|them|this|that) (there|here|in there)\b|放(到|在)?那(里|儿)|加到那/i.test(
      proposal.evidence.quote,
    )
  )
    return true;
  return window.turns.some((turn) =>
    turn.entries.some(
      (entry) =>
        entry.kind === 'user' &&
        !isCodexInjectedUserText(entry.text) &&
        !entry.text.includes(proposal.evidence.quote) &&
        TASK_REQUEST.test(entry.text) &&
        entry.text.toLowerCase().includes(subject.toLowerCase()),
    ),
  );
}

/** A message that points back at what the session just did: "remember that one", "记住这个". */
const POINTS_AT_LESSON =
  /^(?:(?:ok|okay|great|nice|perfect|thanks)[.,!]?\s*)?(?:remember|note|keep|save) (?:that|this)(?: one)?\b|记住(?:这个|那个)|记一下(?:这个|那个)/i;

/** "remember how we fixed that", "把刚才的解决办法记下来": the lesson is in an earlier turn. */
const REMEMBER_EARLIER =
  /\b(remember|note|save|write down|keep|make a note of|memori[sz]e) (how|what) (we|you) (fixed|did|solved|changed)\b|\b(remember|note down|save|write down|keep|make a note of|memori[sz]e) (that|this|the) (fix|workaround|solution)\b|\b(remember|note|save|write down|memori[sz]e) (that|this|it)( (one|down))? for (next time|later|the future)\b|(记住|记下|记一下|记录一下|把)(刚才|之前|前面|上面|这个|这次)(的)?(解决办法|办法|修复|修法|做法|处理|那个)|(刚才|之前|这个|这次)(的)?(解决办法|修复|修法|做法)(记下来|记住|记一下)|^(记住|记下来|记一下)[。!！]?$/i;

/**
 * Fixes of earlier turns that were not learned at the time (a code edit alone looks like task
 * progress) and that the person now asks to remember: proposed once, now, from this turn.
 */
function rememberedFixes(
  window: Transcript,
  actions: ReturnType<typeof collectActions>,
  latest: number,
): Proposal[] {
  const strict = new Set(extractCommandLessons(actions).map((proposal) => proposal.dedupeKey));
  return extractCommandLessons(actions, { codeFixes: true })
    .filter(
      (proposal) =>
        proposal.kind === 'error_fix' && proposal.evidence.turn < latest && !strict.has(proposal.dedupeKey),
    )
    .map((proposal) => ({
      ...proposal,
      confidence: Math.max(proposal.confidence, 0.7),
      evidence: { ...proposal.evidence, turn: latest },
    }));
}

/** The latest turn and up to `count` earlier turns, most recent first, within the size budget. */
function contextWindow(transcript: Transcript, count: number): Transcript {
  const turns = transcript.turns;
  const kept = [turns[turns.length - 1]!];
  let size = 0;
  for (let index = turns.length - 2; index >= 0 && kept.length <= count; index -= 1) {
    const turn = turns[index]!;
    size += turn.entries.reduce(
      (total, entry) =>
        total +
        (entry.kind === 'user' || entry.kind === 'assistant'
          ? entry.text.length
          : entry.kind === 'tool_call'
            ? entry.input.length
            : entry.output.length),
      0,
    );
    if (size > CONTEXT_CHARS) break;
    kept.unshift(turn);
  }
  return { ...transcript, turns: kept };
}

/** A message opening by asking ("想问下", "请教一下", "quick question:"). */
const ASK_LEAD =
  /^\s*(想问(一)?下|想请教|请教(一下|个问题|一个问题)?|问(一)?下|问个问题|有个问题|(quick|random|noob|a|one|small) question\b|question\s*[:：]|i have a question\b|just (curious|wondering)\b|curious\b)/i;
/** A message that only wants an explanation ("just explain", "先别改 code", "暂不需要修改文件"). */
const EXPLAIN_ONLY =
  /\b(just|only) explain\b|\bexplain (only|first)\b|\bdon'?t (change|touch|edit|modify) (any|the)? ?(code|files?|anything)\b|\bno (code )?changes (yet|please|for now)\b|先别改|先不(要)?改|别改(代码|code|文件)|不用改|不要改(代码|code|文件)|(暂|先)?不需要修改|只(要|需要)?解释|解释一下就行|讲讲就行/i;
/** A statement that says it stands: it is learned even inside a question turn. */
const STANDS =
  /以后|今后|一律|永远|每次|务必|\b(always|never|from now on|going forward|in (the )?future|every time|remember)\b/i;

/** A turn that asks something and only wants it answered. */
function questionTurn(text: string): boolean {
  if (!/[?？]|[吗呢][\s。！!]*$/m.test(text)) return false;
  return ASK_LEAD.test(text) || EXPLAIN_ONLY.test(text);
}

/**
 * Reviews a transcript. Deterministic: the same transcript and memory give the same output.
 *
 * @param existing the current USER.md and MEMORY.md texts; lessons already there are skipped.
 */
export function reviewLocally(
  transcript: Transcript,
  existing: { userMd: string; memoryMd: string } = { userMd: '', memoryMd: '' },
  options: LocalReviewOptions = {},
): ReviewerOutput {
  const minConfidence = options.minConfidence ?? 0.5;
  const known = parseExisting([existing.userMd, existing.memoryMd]);
  const contextTurns = options.contextTurns ?? CONTEXT_TURNS;
  const candidates = proposeLessons(transcript, contextTurns, options.fileFocus ?? false)
    .filter((proposal) => proposal.confidence >= minConfidence)
    // A command or a procedure that forces its way past a check (`--ignore-conflicts`, `git push -f`)
    // is never the way to do things here, however it was learned.
    .filter(
      (proposal) =>
        !['command', 'procedure'].includes(proposal.kind) ||
        !forcesThrough(proposal.content.replace(/\b(never|don'?t|do not|avoid|without)\b[^.;。；]*/gi, '')),
    )
    .filter((proposal) => !isKnown(proposal, known))
    // The last gate: an entry that would not read as a written note is not proposed.
    .filter(
      (proposal) =>
        cleanTextProblems(
          { title: proposal.summary, content: proposal.content },
          '',
          // A mostly Chinese message keeps its lesson Chinese ("记得 run lint before push" need not).
          cjkShare(proposal.evidence.quote) > 0.3 && !hasCjk(proposal.content),
        ).length === 0,
    );
  const stated = candidates
    .filter((proposal) => proposal.kind === 'preference' || proposal.kind === 'fact')
    .map((proposal) => contentWords(proposal.content));
  const statedText = candidates
    .filter((proposal) => proposal.kind === 'preference' || proposal.kind === 'fact')
    .map((proposal) => proposal.content);
  // A command lesson whose added part a stated rule or fact already holds (`nvm use 18`, a host the
  // person named) is that lesson again: most of its added words, or a switch's value, are there.
  const restated = (proposal: Proposal): boolean => {
    const added = proposal.addedWords ?? [];
    if (proposal.kind !== 'command' || added.length === 0) return false;
    const values = [...proposal.content.matchAll(/=([\w.:/@-]{6,})/g)].map((match) => match[1] ?? '');
    return (
      stated.some((words) => {
        const shared = added.filter((word) => words.has(word)).length;
        return shared === added.length || (shared >= 2 && shared / added.length >= 0.6);
      }) || statedText.some((text) => values.some((value) => text.includes(value)))
    );
  };
  const kept = dropRepeats(candidates.filter((proposal) => !restated(proposal))).sort(
    (a, b) =>
      a.evidence.turn - b.evidence.turn ||
      KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
      a.summary.localeCompare(b.summary),
  );
  const turnIds = new Map(transcript.turns.map((turn) => [turn.index, turn.turnId]));
  const memory = kept
    .filter((proposal) => proposal.family === 'memory_updates')
    .slice(0, options.maxMemoryUpdates ?? 8);
  const withdrawn = withdrawnEarlier(transcript, existing, options);
  const recall = kept
    .filter((proposal) => proposal.family === 'recall_candidate')
    .slice(0, options.maxRecallCandidates ?? 5);
  return {
    memory_updates: [
      ...withdrawn,
      ...memory.map((proposal) => toItem(proposal, turnIds.get(proposal.evidence.turn))),
    ],
    recall_candidate: recall.map((proposal) => toItem(proposal, turnIds.get(proposal.evidence.turn))),
    skill_action: [],
  };
}

/**
 * A change of course about a standing rule: going back, no longer, not needed any more. Read only
 * in a later turn, against the lessons the earlier turns taught.
 */
const EN_REVERSAL =
  /\b((go(ing)?|went|gone|moved|switched|switching|switch) back( to)?|(moved|switched|migrated) (off|away from)|got rid of|ditched|(is|are) gone|(was|were|got|has been) (removed|ripped out|dropped|deleted)|back to using|revert(ing)? to|change of plans?|after all|no longer|not anymore|any ?more\b|(don't|do not|no) need to \w+ (that|it|this|those) any ?more|we (dropped|stopped|ditched|abandoned)|(drop|stop) (the|that|this) [\w./@-]+ (rule|thing|convention|requirement)|forget (about )?(the|that|those) [\w./@-]+|(is|are) fine either way|either way is fine|(doesn't|does not) matter (any ?more|now))\b/;
const ZH_REVERSAL =
  /(还是|又)?(改回|换回|用回|切回|回到|恢复成?)|不用[^，。；]{0,10}了|不要[^，。；]{0,10}了|不必[^，。；]{0,10}了|不需要[^，。；]{0,10}了|不再|取消(掉)?(这条|那条|这个|那个)?(规定|约定|要求)?|作废|不作数|废掉|废除|(之前|刚才|上面|前面)(那|这)条[^，。；]{0,6}(不算|取消|不用)/;

/**
 * Words too common to tie a reversal to an earlier lesson ("the flaky test doesn't need a retry
 * anymore" is not about "run the tests with pnpm").
 */
const GENERIC = new Set([
  'test',
  'tests',
  'code',
  'file',
  'files',
  'run',
  'runs',
  'use',
  'uses',
  'build',
  'repo',
  'here',
  'always',
  'every',
  'each',
  'time',
  'need',
  'needs',
  '以后',
  '每次',
  '都要',
  '一下',
  '代码',
  '项目',
  '仓库',
  '时候',
  '这个',
  '那个',
  '一次',
  '都跑',
  '跑一',
]);

/** A lesson that forbids something: "no longer …" about it restates it rather than withdraws it. */
const PROHIBITS = /\b(don't|do not|never|avoid|stop|no more)\b|别|不要|禁止|不允许|不能|不用/;

/** A sentence that refers to something said before. */
const POINTS_BACK =
  /\b(what i said|i said|i mentioned|earlier|before|the [\w-]+ (thing|rule|part|point)|that (rule|thing|part|point|one))\b|刚才|之前|上面|前面|那条|那个|这条|这个事/;

/** Words of a withdrawal that say nothing about what is withdrawn. */
const WITHDRAWAL_WORDS = new Set([
  'message',
  'messages',
  'told',
  'mentioned',
  'instruction',
  'comment',
  'note',
  'point',
  'part',
  'bit',
  'stuff',
  'whole',
  'let',
  "let's",
  'lets',
  "don't",
  'please',
  'ok',
  'okay',
  'hmm',
  'oh',
  'forget',
  'said',
  'what',
  'about',
  'scratch',
  'ignore',
  'earlier',
  'before',
  'wrong',
  'never',
  'mind',
  'actually',
  'wait',
  'decided',
  'settled',
  'yet',
  'still',
  'thing',
  'rule',
  'last',
  'previous',
  'take',
  'back',
  'strike',
  'second',
  'thought',
  'disregard',
  'haven',
  'have',
  'not',
  'that',
  'this',
  '刚才',
  '才说',
  '说的',
  '之前',
  '前说',
  '上面',
  '面说',
  '那条',
  '这条',
  '先别',
  '别记',
  '不用',
  '用记',
  '不算',
  '算了',
  '没说',
  '我没',
  '当我',
  '还没',
  '没定',
  '没确',
  '确定',
  '待定',
  '讨论',
]);

/**
 * "forget what I said about Jest", "刚才说的驼峰那条先别记": the person withdraws (or leaves open) a
 * rule or fact an earlier turn taught, which its own review already proposed. The withdrawal is a
 * `remove` of that entry: the lessons the earlier turns gave (reviewed again, as they were) that
 * share a word with the withdrawal, or, for a bare "forget that" / "算了，当我没说" opening the message,
 * the lessons of the turn just before.
 */
function withdrawnEarlier(
  transcript: Transcript,
  existing: { userMd: string; memoryMd: string },
  options: LocalReviewOptions,
): ReviewerOutputItem[] {
  const latest = transcript.turns.at(-1);
  if (latest === undefined || transcript.turns.length < 2) return [];
  const withdrawals: Array<{ text: string; words: string[]; opening: boolean; negative?: boolean }> = [];
  for (const entry of latest.entries) {
    if (entry.kind !== 'user' || isCodexInjectedUserText(entry.text)) continue;
    splitSentences(entry.text).forEach((sentence, position) => {
      const lower = sentence.masked.toLowerCase().replace(/[’‘]/g, "'");
      const retracts = EN_RETRACTION.test(lower) || ZH_RETRACTION.test(sentence.masked);
      // "let's go back to npm after all", "还是改回时间戳吧", "e2e 不用每次都跑了": a reversal of what an
      // earlier turn taught, whatever its words; it withdraws only a lesson it shares a word with.
      const reverses = !retracts && (EN_REVERSAL.test(lower) || ZH_REVERSAL.test(sentence.masked));
      if (reverses) {
        const words = [...contentWords(sentence.masked)].filter(
          (word) =>
            !WITHDRAWAL_WORDS.has(word) && (hasCjk(word) || word.length >= 3 || /[\d/._-]/.test(word)),
        );
        // "we don't use moment anymore" after "never use moment" says it again: not a reversal.
        const negative = !/(\bback\b|revert|改回|换回|用回|切回|回到|恢复)/.test(lower);
        withdrawals.push({ text: sentence.text, words, opening: false, negative });
        return;
      }
      // Left open, an earlier lesson is withdrawn only when the sentence points back at it
      // ("the Jest thing isn't decided yet", "刚才那条还没定"), not by any undecided remark.
      const open =
        (EN_UNDECIDED.test(lower) || ZH_UNDECIDED.test(sentence.masked)) && POINTS_BACK.test(lower);
      if (!retracts && !open) return;
      // What is withdrawn is named in the clause that withdraws it ("forget what I said about Jest").
      const clauses = sentence.masked.split(/[,;:，；：。—]+/);
      const clause =
        clauses.find((part) => {
          const text = part.toLowerCase();
          return retracts
            ? EN_RETRACTION.test(text) || ZH_RETRACTION.test(part)
            : EN_UNDECIDED.test(text) || ZH_UNDECIDED.test(part);
        }) ?? sentence.masked;
      // The withdrawing idiom itself ("算了算了", "当我没说") names nothing that is withdrawn.
      const named = retracts ? clause.replace(/算了|当我没说|先别记|不用记|别记|不要记|撤回/g, ' ') : clause;
      const words = [...contentWords(named)].filter(
        (word) => !WITHDRAWAL_WORDS.has(word) && (hasCjk(word) || word.length >= 3 || /[\d/._-]/.test(word)),
      );
      withdrawals.push({ text: sentence.text, words, opening: retracts && position === 0 });
    });
  }
  if (withdrawals.length === 0) return [];
  const contextTurns = options.contextTurns ?? CONTEXT_TURNS;
  const removes: ReviewerOutputItem[] = [];
  const seen = new Set<string>();
  const count = transcript.turns.length;
  for (let back = 1; back <= Math.min(contextTurns, count - 1); back += 1) {
    const earlier = { ...transcript, turns: transcript.turns.slice(0, count - back) };
    const taught = reviewLocally(earlier, existing, {
      ...options,
      maxRecallCandidates: 0,
    }).memory_updates.filter((item) => item.details.action === 'add');
    for (const item of taught) {
      const content = typeof item.details.content === 'string' ? item.details.content : '';
      // "forget what I said about v2" names `internal/http/v2` by its last part.
      const words = new Set(
        [...contentWords(`${item.summary} ${content}`)].flatMap((word) => [word, ...word.split(/[/._:-]+/)]),
      );
      const prohibits = PROHIBITS.test(`${item.summary} ${content}`.toLowerCase());
      const withdrawal = withdrawals.find(
        (candidate) =>
          (candidate.words.some(
            (word) => words.has(word) && (candidate.negative === undefined || !GENERIC.has(word)),
          ) &&
            !(candidate.negative === true && prohibits)) ||
          (back === 1 && candidate.opening && candidate.words.length === 0),
      );
      if (withdrawal === undefined || seen.has(item.summary)) continue;
      seen.add(item.summary);
      removes.push({
        summary: item.summary,
        details: {
          action: 'remove',
          scope: item.details.scope ?? 'global',
          old_summary: item.summary,
          evidence: { turn: latest.index, quote: withdrawal.text.slice(0, 300) },
          lesson: 'withdrawn',
        },
        confidence: 0.8,
      });
    }
  }
  return removes;
}

function toItem(proposal: Proposal, turnId: string | undefined): ReviewerOutputItem {
  const evidence: Record<string, unknown> = { turn: proposal.evidence.turn, quote: proposal.evidence.quote };
  if (turnId !== undefined) evidence.turn_id = turnId;
  const details: Record<string, unknown> =
    proposal.family === 'memory_updates'
      ? { action: 'add', scope: proposal.scope ?? 'global', content: proposal.content }
      : { content: proposal.content };
  if (proposal.sourcePaths.length > 0 || proposal.family === 'recall_candidate')
    details.source_paths = proposal.sourcePaths;
  details.evidence = evidence;
  details.lesson = proposal.kind;
  return { summary: proposal.summary, details, confidence: proposal.confidence };
}
