/**
 * Procedures the agent carried out for the person: the person asked how something is done here
 * ("how do we cut the nightly snapshot?", "怎么更新翻译来着", "照 README 弄一下") and the agent ran
 * it, every step succeeding. The successful runs of the turn, in order and reduced to their durable
 * part, are one recall note. Nothing is learned when a step failed (the way is not known to work),
 * when the person listed the steps as today's task (no question about the way), when the question
 * is about this one problem ("how do I fix this?"), or when the one-off steps are most of it.
 */
import { isCodexInjectedUserText } from '../transcript.js';
import type { Transcript } from '../types.js';
import { durableCommand, isReadOnly, PLAIN_INSTALL, wipesState, type SessionActions } from './commands.js';
import { MAX_QUOTE, type Proposal } from './proposal.js';
import { clip, maskQuoted } from './text.js';

/**
 * "how do we X", "how should I X", "what's the process for X", "the usual way to X". Not "how did
 * you …" (what happened today) nor "how would you …" (a hypothetical).
 */
const EN_HOW =
  /\bhow (?:do|does|should|can|shall) (?:we|i|you|one|people) (?:usually |normally |typically |ever )?([a-z][\w-]*(?: [\w.:/-]+){0,5}?)\s*(?:here|in this repo|around here|again|these days)?\s*(?:\?|$|,|\.|—| - )|\bwhat(?:'s| is) the (?:process|procedure|drill|routine|usual way|way|right way) (?:for|to) ([a-z][\w-]*(?: [\w.:/-]+){0,5}?)\s*(?:here|in this repo)?\s*(?:\?|$|,|\.)/im;
/** "follow the README", "per the Makefile", "figure it out from the Makefile". */
const EN_DOC =
  /\b(?:follow(?:ing)?|per|as in|according to|as (?:described|documented) in|like|(?:figure|work) (?:it |them )?out from|from) (?:the |our )?(README|readme|docs|Makefile|makefile|justfile|Taskfile|CONTRIBUTING(?:\.md)?|runbook|wiki|playbook)\b/;
/**
 * "I don't remember the steps", "never remember how", "I have no idea how it works", "忘了怎么弄":
 * the person asks for the way.
 */
const FORGOT =
  /\b(?:don'?t|do not|never|can'?t|cannot) (?:\w+ )?(?:remember|recall) (?:the steps|how|it(?=\s*(?:[,.;)!]|$)))|\b(?:no idea|no clue|don'?t know|do not know) how (?:it works|that works|this works|we do (?:it|that)|it'?s done)\b|忘了(?:怎么|步骤)|不知道怎么弄/i;
/** "do it the standard way for this repo", "the usual way", "the way we always do it". */
const EN_WAY =
  /\b(?:the|our) (?:standard|usual|normal|regular|proper|documented|house) way\b|\bthe way we (?:always |usually |normally )?do (?:it|this|these|them)\b/i;
/** A document the person names anywhere in the message (where the way is written down). */
const DOC_NAMED = /\b(README|CONTRIBUTING|Makefile|justfile|Taskfile|runbook|RUNBOOK)(?:\.md)?\b/;
/** "X 怎么弄来着", "X 是怎么 Y 的", "X 的流程是啥", "照 README 弄一下". */
const ZH_HOW =
  /([^，。？?！!；;\n]{2,24}?)\s*(?:是)?怎么([\u4e00-\u9fff]{1,2}?)?(?:起来|的)?\s*来着|([^，。？?！!；;\n]{2,24}?)的?(?:流程|步骤)是(?:什么|啥|怎样的?)/;
const ZH_DOC = /(?:按|照)(?:着|照)?\s*(README|readme|文档|Makefile|wiki|CONTRIBUTING)/;
/** The question is about the problem at hand, not a way of working. */
const ONE_OFF_OBJECT =
  /\b(this|that|it|these|those|bug|issue|problem|error|crash|failure|mess|fix|debug|solve|get rid of|my|mine)\b|这个(问题|报错|错误|bug)|修|我的|我电脑|本机/i;
/** Words that only place the question ("咱们这边", "我们"). */
const ZH_PLACE =
  /^(?:那|那个|还有|对了|话说|请问|问下|问一下)?[，,\s]*(?:咱们|我们|你们)?(?:这边|这儿|这里)?(?:的)?/;
/** Commands that only inspect (cluster state, containers, logs): looking, not a step of a way. */
const INSPECTS =
  /^(?:kubectl|oc) (?:get|describe|logs|top|explain|version|config (?:view|get-contexts|current-context))\b|^docker (?:ps|logs|inspect|images|stats|compose (?:ps|logs))\b|^helm (?:list|ls|status|get|history|template|lint)\b|^(?:aws|gcloud|az) .*\b(?:describe|list|get|show)\b|^(?:npm|pnpm|yarn) (?:ls|list|outdated|view|info|why|audit)\b|^(?:git|gh|which|type|node -v|python -V|java -version)\b|^(?:terraform|tofu) (?:show|output|state (?:list|show)|validate)\b/;

/** At most this many steps: a longer run of commands is a working session, not a recipe. */
const MAX_STEPS = 8;

interface Asked {
  what: string;
  chinese: boolean;
  /** The file the person pointed to for the steps (`Makefile`, `README`). */
  source?: string;
}

/** What the person asked to be done the usual way, or undefined when they did not ask. */
function askedHow(text: string): Asked | undefined {
  const masked = maskQuoted(text);
  const en = EN_HOW.exec(masked);
  if (en) {
    const what = (en[1] ?? en[2] ?? '').trim();
    if (what !== '' && !ONE_OFF_OBJECT.test(what)) return { what, chinese: false };
    return undefined;
  }
  const zh = ZH_HOW.exec(masked);
  if (zh) {
    const what = (zh[1] ?? zh[3] ?? '').replace(ZH_PLACE, '').trim();
    const verb = zh[2] ?? '';
    if (what.length >= 2 && !ONE_OFF_OBJECT.test(what))
      return {
        what: verb === '' ? what : `${verb}${/^[A-Za-z]/.test(what) ? ' ' : ''}${what}`,
        chinese: true,
      };
    return undefined;
  }
  const doc = EN_DOC.exec(masked) ?? ZH_DOC.exec(masked);
  if (doc || FORGOT.test(masked) || EN_WAY.test(masked))
    return {
      what: '',
      chinese: ZH_DOC.test(masked) || /忘了|不知道/.test(masked),
      source: doc?.[1] ?? DOC_NAMED.exec(masked)?.[1],
    };
  return undefined;
}

/**
 * The turn's runs as the steps of a way of doing something: every run succeeded, reduced to its
 * durable part, 2 to {@link MAX_STEPS} of them, not variants of one command, and not mostly one-off
 * steps; undefined otherwise.
 */
function stepsOfTurn(actions: SessionActions, turn: number): string[] | undefined {
  const runs = actions.commands.filter(
    (run) => run.turn === turn && !isReadOnly(run.command) && !INSPECTS.test(run.command.trim()),
  );
  // A step that failed: the way is not known to work (and a failed attempt is never stored as one).
  if (runs.some((run) => run.exitCode !== 0)) return undefined;
  const steps: string[] = [];
  let dropped = 0;
  for (const run of runs) {
    const durable = durableCommand(run.command);
    // A step that wipes or replaces local state (`rm -rf`, `git clean`, `docker system prune`) is
    // never written into a note that invites running it again.
    if (durable === undefined || wipesState(run.command)) {
      dropped += 1;
      continue;
    }
    if (PLAIN_INSTALL.test(durable) || steps.includes(durable)) continue;
    steps.push(durable);
  }
  if (steps.length < 2 || steps.length > MAX_STEPS || dropped > steps.length) return undefined;
  // `npx jest a.test.ts`, then `npx jest -t foo`: variants of one command (examples), not steps.
  // (`npm run docs:api` and `npm run docs:site` are two scripts: the script names the step.)
  const head = (step: string): string =>
    step
      .split(/\s+/)
      .slice(0, /^\S+ (run|task|exec|run-script)\b/.test(step) ? 3 : 2)
      .join(' ');
  if (new Set(steps.map(head)).size === 1) return undefined;
  return steps;
}

/**
 * "that is the rotation procedure, keep it for next time", "perfect, remember those steps": the
 * person names what the agent just carried out as the way. A short message of its own (nothing run
 * in it) pointing at the turn before, whose runs all succeeded: that turn's steps, learned now, once.
 */
const KEEP_STEPS =
  /\b(?:keep|remember|save|note|write down|memori[sz]e) (?:it|that|this|those steps|these steps|the steps|that procedure|this procedure)(?: down)? for (?:next time|later|the future)\b|\b(?:keep|remember|save|note) (?:those|these|the) steps\b|把(?:刚才|这套|这个)?(?:流程|步骤)记(?:下来|住)|(?:这个|这套)(?:流程|步骤)记(?:下来|住)/i;
const NAMED_PROCEDURE =
  /\b(?:that|this)(?:'s| is) the ([a-z][\w-]*(?: [a-z][\w-]*)?) (?:procedure|process|routine|runbook)\b/i;

/** Proposes the turn before's carried-out steps when the latest message keeps them ({@link KEEP_STEPS}). */
export function extractKeptSteps(transcript: Transcript, actions: SessionActions): Proposal[] {
  const latest = transcript.turns.at(-1);
  const previous = transcript.turns.at(-2);
  if (latest === undefined || previous === undefined) return [];
  const text = latest.entries
    .filter((entry) => entry.kind === 'user' && !isCodexInjectedUserText(entry.text))
    .map((entry) => (entry.kind === 'user' ? maskQuoted(entry.text) : ''))
    .join('\n');
  if (text.length > 200 || !KEEP_STEPS.test(text)) return [];
  if (actions.commands.some((run) => run.turn === latest.index && !isReadOnly(run.command))) return [];
  // The turn before asked how, and its own review learned the steps then.
  const asked = previous.entries.some((entry) => entry.kind === 'user' && askedHow(entry.text) !== undefined);
  if (asked || actions.patches.some((patch) => patch.turn === previous.index)) return [];
  const steps = stepsOfTurn(actions, previous.index);
  if (steps === undefined) return [];
  const named = NAMED_PROCEDURE.exec(text)?.[1]?.toLowerCase();
  const chinese = /[\u4e00-\u9fff]/.test(text);
  const list = steps.map((step, index) => `${index + 1}. \`${step}\``);
  return [
    {
      kind: 'procedure',
      family: 'recall_candidate',
      summary:
        named !== undefined
          ? `${named.charAt(0).toUpperCase()}${named.slice(1)} procedure`
          : chinese
            ? '操作步骤'
            : 'Steps to repeat',
      content: chinese
        ? `依次运行 ${list.join('；')}。`
        : `${named !== undefined ? `The ${named} procedure` : 'The way it is done here'}, in order: ${list.join('; ')}.`,
      sourcePaths: [],
      evidence: { turn: latest.index, quote: clip(text, MAX_QUOTE) },
      confidence: 0.7,
      dedupeKey: steps.join(' '),
    },
  ];
}

/** Proposes the procedure the agent carried out in the latest turn, when the person asked how. */
export function extractCarriedOut(transcript: Transcript, actions: SessionActions): Proposal[] {
  const latest = transcript.turns.at(-1);
  if (latest === undefined) return [];
  const texts = latest.entries
    .filter((entry) => entry.kind === 'user')
    .map((entry) => (entry.kind === 'user' ? entry.text : ''))
    .filter((text) => !isCodexInjectedUserText(text));
  const question = texts.find((text) => askedHow(text) !== undefined);
  if (question === undefined) return [];
  const asked = askedHow(question);
  if (asked === undefined) return [];
  const steps = stepsOfTurn(actions, latest.index);
  if (steps === undefined) return [];
  // Pointed at a file ("follow the README", "照文档弄") rather than asked how: the steps must be the
  // ones the agent read there (a Makefile's targets, the README's commands), or the pointer was about
  // today's task ("按文档把接口改一下", then the usual test run).
  // Asked for the way with no document named ("I have no idea how it works, figure it out"): the
  // turn must only run things (an edit in it is today's work, not a step of the way).
  const unnamed = asked.what === '' && asked.source === undefined;
  if (unnamed && actions.patches.some((patch) => patch.turn === latest.index)) return [];
  if (asked.what === '' && !unnamed) {
    const read = actions.commands
      .filter((run) => run.turn === latest.index && run.exitCode === 0 && isReadOnly(run.command))
      .map((run) => run.output)
      .join('\n');
    const documented = (step: string): boolean => {
      const target = /^make ([\w.-]+)$/.exec(step)?.[1];
      // A Makefile's target, or the command as the document writes it ("3. `make wire` regenerates …").
      if (target !== undefined)
        return new RegExp(`^${target.replace(/[.]/g, '\\.')}:`, 'm').test(read) || read.includes(step);
      return read.includes(step) || read.includes(step.split(/\s+/).slice(0, 2).join(' '));
    };
    if (!steps.every(documented)) return [];
  }
  const list = steps.map((step, index) => `${index + 1}. \`${step}\``);
  const what = asked.what.replace(/[?？。.!！]+$/, '');
  const source = asked.source ?? '';
  const summary = asked.chinese
    ? `${what === '' ? `按${source === '' ? '文档' : ` ${source} `}的` : `${what}的`}步骤`
    : what === ''
      ? source === ''
        ? 'How it is done here'
        : `Steps from ${source}`
      : `How to ${what}`;
  const content = asked.chinese
    ? `${what === '' ? `按${source === '' ? '文档' : ` ${source} `}` : what}：依次运行 ${list.join('；')}。`
    : what === ''
      ? `The way it is done here${source === '' ? '' : ` (from ${source})`}, in order: ${list.join('; ')}.`
      : `To ${what} here, run in order: ${list.join('; ')}.`;
  return [
    {
      kind: 'procedure',
      family: 'recall_candidate',
      summary: clip(summary, 80),
      content,
      sourcePaths: [],
      evidence: { turn: latest.index, quote: clip(question, MAX_QUOTE) },
      confidence: 0.7,
      dedupeKey: steps.join(' '),
    },
  ];
}
