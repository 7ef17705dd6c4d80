/**
 * Preferences, corrections and project facts stated by the human in their own messages.
 *
 * Only `user` entries are read (never assistant text, never tool output), and within them only
 * what the person said: quoted text, code blocks and `>` lines are masked. A sentence becomes a
 * proposal when it opens with a cue ("always …", "from now on …", "don't …", "we use …",
 * "以后都用 …", "不要 …", "我们用 …") and is not a question, a hypothetical, a one-off instruction
 * ("don't commit it yet") or an idiom ("never mind", "别担心").
 */
import { isCodexInjectedUserText } from '../transcript.js';
import type { Transcript } from '../types.js';
import { MAX_QUOTE, type Proposal } from './proposal.js';
import {
  clip,
  contentWords,
  hasCjk,
  isPathLike,
  readingForm,
  splitSentences,
  type Sentence,
} from './text.js';
import { toolResults } from './tool-results.js';

type CueKind = 'rule' | 'prohibition' | 'preference' | 'fact';

interface Cue {
  kind: CueKind;
  confidence: number;
}

interface CueRule extends Cue {
  pattern: RegExp;
}

/**
 * A definition of done: "nothing is done until …", "a change in this repo isn't finished until
 * <check> is clean", "PRs are only mergeable once …". The "until" is the condition, not a time.
 */
const DEFINITION_OF_DONE =
  // (Not a day: "nothing is finished until Friday" is a deadline.)
  /^(?!.*\b(today|tonight|tomorrow'?s?|monday|tuesday|wednesday|thursday|friday|saturday|sunday|next week|this week|eod|the demo)\b)(nothing|no (change|pr|task|feature|ticket)|(a|any|every|each) (change|pr|pull request|task|feature|ticket|story)|changes|prs|pull requests|tasks|features|work)( (here|in this (repo|repository|project|codebase)))? (is|are|isn't|aren't|is not|are not|counts? as|only counts? as)( only| really)? (done|finished|complete|completed|ready|mergeable|shippable)\b[^.]*\b(until|unless|only when|only if|once)\b/;

/** "if you commit for me, sign off with -s": a condition on what the agent does for the person. */
const IF_YOU_FOR_ME = /^if you \w+\b[^,]{0,60}\b(for me|on my behalf)\b[^,]{0,20},\s*\S/;

/** "I'd like you to …": a standing wish only with a standing word ("for anything bigger …", "always"). */
const WISH_FOR_YOU = /^i('d| would) (really )?like you to\b/;

/** A lead saying that what follows stands: "one request for always:", "for the future though:". */
const STANDING_LEAD =
  /^((one|a|my) (standing |general |small )?(request|rule|ask|thing|note) for (always|good|the future|next time|later)|for (always|good|the future)|standing (request|rule))( though)?\s*[:—–-]\s*\S/;

/** English cues, tried on the lower-cased sentence after leading fillers ("ok,", "no —", "btw"). */
const EN_CUES: readonly CueRule[] = [
  {
    pattern: /^(from now on|going forward|moving forward|from here on( out)?|henceforth|in (the )?future)\b/,
    kind: 'rule',
    confidence: 0.85,
  },
  // "one request for always: answer me in bullet points", "a rule for the future: …": a lead that
  // says what follows stands.
  {
    pattern: STANDING_LEAD,
    kind: 'rule',
    confidence: 0.8,
  },
  { pattern: /\bfrom now on\b/, kind: 'rule', confidence: 0.8 },
  { pattern: /^(always|never)\b/, kind: 'rule', confidence: 0.85 },
  // "add an entry to CHANGELOG.md for every user-facing change": an instruction over a kind of thing.
  {
    pattern:
      /^(please |pls )?(add|write|include|run|use|put|keep|mention|link)\b[^;]{1,80}?\bfor (every|each) (single )?(new |user-facing |public )?(change|pr|pull request|commit|feature|release|endpoint|migration|fix|bug ?fix|module|package|service|component|page|route|api|table|model|handler|job)s?\b(?! (in|of|on) (this|that|the|[\w-]+\.\w+)\b)/,
    kind: 'rule',
    confidence: 0.7,
  },
  { pattern: /^(you|we) (should |must |need to |have to )?(always|never)\b/, kind: 'rule', confidence: 0.8 },
  {
    pattern:
      // Not about what is in front of us: "keep in mind this is just a prototype", "note that the output
      // below is from my laptop".
      /^(remember(?![-\w])|keep in mind|bear in mind|don't forget|do not forget|note that|make sure (to|you) (always|never))\b(?!( that)?,? (this|that|it|these|those)('s| is| are| was| were)\b)(?!.*\b(below|above|my (laptop|machine|computer))\b)/,
    kind: 'rule',
    confidence: 0.8,
  },
  {
    pattern: /\b(keep (that|this|it) in mind|for the future|in (the )?future|from now on|going forward)\b/,
    kind: 'rule',
    confidence: 0.7,
  },
  {
    pattern: /\b(leave (it|them|that|those|these|\S+\/) alone|hands off|off[- ]limits)\b/,
    kind: 'prohibition',
    confidence: 0.7,
  },
  { pattern: /^i('d| would) like (every|all|each|any)\b/, kind: 'preference', confidence: 0.7 },
  {
    pattern:
      /^i (prefer|like it when|want you to always|want you to never|'d like you to|would like you to|'d rather|would rather|hate it when|don't like it when)\b/,
    kind: 'preference',
    confidence: 0.75,
  },
  { pattern: /\bi('d| would)? prefer\b/, kind: 'preference', confidence: 0.75 },
  { pattern: /^i('d| would) rather\b/, kind: 'preference', confidence: 0.75 },
  { pattern: /^(prefer|use) [^ ]+ (instead of|rather than|over)\b/, kind: 'rule', confidence: 0.75 },
  {
    pattern: /^(prefer|use|stick to|stick with) [^,;]{1,40}?,? (not|never|instead of|rather than) \S/,
    kind: 'rule',
    confidence: 0.75,
  },
  // A rule after a clause break: "the staging db is read-only, so never point migrations at it".
  {
    pattern:
      /[,;—–]\s*(so |and |but |then |which means )?(please |pls )?(always|never|don't|do not) (?!(worry|bother(?! \w+ing)|mind|know|think|understand|see|care|get|have|need|rush|hurry|stress|panic)\b)\w+/,
    kind: 'rule',
    confidence: 0.7,
  },
  { pattern: /^(don't|do not|dont|stop|avoid|quit|no more)\b/, kind: 'prohibition', confidence: 0.7 },
  // "you must not call the real payment API", "please you not use the var": a prohibition addressed to
  // the agent, in a modal or in learner's English.
  {
    pattern:
      /^(please,? )?(you|we) (must not|mustn't|should not|shouldn't|not|no) (use|add|call|write|put|touch|change|edit|import|mock|hit|commit|push|run)\b/,
    kind: 'prohibition',
    confidence: 0.75,
  },
  // "btw no pandas in this service": a thing ruled out of a named scope.
  {
    pattern:
      /^(btw,? |and |also |oh,? )?no (?!(changes?|edits?|modifications?|refactor\w*|touching|new code|diffs?|commits?|pushes?)\b)[\w.@/-]+( [\w.@/-]+){0,2} (in|for|anywhere in) (this|the|our)( [\w-]+)? (service|repo|repository|project|codebase|package|module|app|crate)\b/,
    kind: 'prohibition',
    confidence: 0.75,
  },
  // "generics are fine now, except keep them out of pkg/": the exception is the rule.
  { pattern: /[,;]\s*except (keep|don't|do not|never|avoid|not in)\b/, kind: 'rule', confidence: 0.7 },
  {
    pattern:
      /^we(?:'re| are)? ?(use|using|deploy|host|run|build|ship|release|store|keep|follow|write|lint|format|prefer|don't use|do not use|never use|only use|are on|'re on)\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  {
    pattern:
      /^our [\w./@ -]{1,40}? (is|are|lives?|runs?|uses?|sits?|deploys?|needs?|requires?|depends? on|expects?|talks? to|hits?|goes|go)\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "env vars are documented in docs/env.md", "routes are defined in src/routes/": where a kind of
  // thing is kept.
  {
    pattern:
      /\b(is|are) \w+ed (in|under|at|into|inside) `?[\w.@-]*\/[\w./@-]*|\b(is|are) \w+ed (in|under|at|into|inside) `?[\w.@-]+\.(md|ya?ml|json|toml|ts|js|py|env)\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  {
    pattern:
      /^(the |all )?[\w./@-]+(?: [\w./@-]+){0,3} (lives?|is located|are located|sits?|resides?|are kept|is kept) in\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  {
    pattern:
      /^(this|the) (repo|repository|project|codebase|monorepo) (uses|is|runs|has|needs|requires|deploys)\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "please stop pulling in moment.js", "stop adding emojis": a standing prohibition.
  { pattern: /^(please |pls )?stop \w+ing\b/, kind: 'prohibition', confidence: 0.75 },
  {
    pattern: /^i (always |never |usually |really )?(want|need)\b(?! (you )?to\b)(?! it\b)/,
    kind: 'preference',
    confidence: 0.7,
  },
  { pattern: /^i (want|need) you to (always|never)\b/, kind: 'preference', confidence: 0.8 },
  { pattern: /^i (like|love|hate) (to|it when|when)\b/, kind: 'preference', confidence: 0.7 },
  // "I don't like long explanations", "I'm not a fan of emojis", "call me Sam", "keep it short with me".
  {
    pattern:
      /^(i (don't|do not) (like|want|need)|i'm not a fan of|i am not a fan of|i dislike|i can't stand|i cannot stand) (?!(it|this|that|the|your|how|what|when|where|to)\b)[\w-]+/,
    kind: 'preference',
    confidence: 0.7,
  },
  { pattern: /^(call|address) me\b/, kind: 'preference', confidence: 0.75 },
  {
    pattern: /^keep (it|things|everything) (short|brief|concise|terse)\b/,
    kind: 'preference',
    confidence: 0.7,
  },
  { pattern: IF_YOU_FOR_ME, kind: 'rule', confidence: 0.75 },
  {
    // A definition of done: "nothing is done until …", "a change in this repo isn't finished until
    // <check> is clean", "PRs are only mergeable when …".
    pattern: DEFINITION_OF_DONE,
    kind: 'rule',
    confidence: 0.8,
  },
  // "whenever you commit for me use `git commit -S`": a recurring moment and what to do in it, comma or not.
  {
    pattern:
      /^(when|whenever|every time|each time|any time) you \w+\b.{0,80}?\b(use|run|pass|add|prefer|always|never|don't|do not|keep|put|must|should|need to|have to)\b/,
    kind: 'rule',
    confidence: 0.75,
  },
  // "it's `zig build test -Doptimize=ReleaseSafe`, that's how we always run them": a command named and
  // said to be the way, after it (the lead names the command, the tail says it stands).
  {
    pattern:
      /`[^`]{4,}`,? (that'?s|this is|which is|is) (how|the way) we (always |usually |normally |all )?(run|build|test|deploy|start|lint|format|release|check|do)\b/,
    kind: 'rule',
    confidence: 0.75,
  },
  // "you can drop the summary section", "you can skip the recap": leave something out from now on.
  {
    pattern: /^you can (drop|skip|stop|leave out|omit|lose|cut|ditch)\b/,
    kind: 'preference',
    confidence: 0.7,
  },
  {
    pattern:
      /^(when|whenever|every time|each time|any time) you (run|use|call|invoke|write|add|create|open|make|touch|edit|change|commit|push|start|test|deploy|review|fix|name|install)\b[^,]{0,80},\s*\S/,
    kind: 'rule',
    confidence: 0.75,
  },
  {
    pattern:
      /^(the way we do (it|this|things)( here| in this repo)?|the way we do [a-z][\w-]*( [a-z][\w-]*){0,2} (here|in this repo) (is\b|:)|what we do (instead|here|now|these days)|here'?s how we do (it|this|things)( here)?|our (convention|rule|process|workflow|policy|practice) (here )?is|the (convention|rule|policy|practice) (here )?is|house rule)\b/,
    kind: 'rule',
    confidence: 0.8,
  },
  {
    pattern:
      /^(the )?(unit |integration |e2e |end-to-end |api |frontend |backend )?(tests?|specs?|builds?|linting|lint|e2e|ci|deploys?|deployments?|migrations?|docs|releases?|app|api|frontend|backend|server|services?)( suite)? (are |is |get |gets )?(run|runs|built|builds|live|lives|go|goes|deployed|deploys|happens?|uses?|written|kept|hosted)\b (with|via|through|using|by|in|from|on|under|to|next to|alongside|beside)\b|^(the )?(unit |integration |e2e |end-to-end |api )?(tests?|specs?|builds?|e2e|ci|deploys?|migrations?|app|server|services?)( suite)? (need|needs|require|requires|depend on|depends on|expect|expects)\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  {
    pattern:
      /\b(live|lives|moved|has moved|have moved|were moved|was moved)( now)? (in|under|to|into) `?[\w.@-]*\/[\w./@-]*/,
    kind: 'fact',
    confidence: 0.7,
  },
  {
    pattern:
      /^(keep|make|write|give|send|reply|answer|respond|skip|drop|omit|leave out|cut|ditch|lose)\b.*\b(answers?|repl(y|ies)|responses?|explanations?|summar(y|ies)|commit messages?|pr descriptions?|comments)\b/,
    kind: 'preference',
    confidence: 0.75,
  },
  { pattern: /^(we|you) (don't|do not|never) \w+/, kind: 'rule', confidence: 0.75 },
  // "run go vet before committing", "strip them before you hand anything back": a standing check.
  {
    pattern:
      /\b(run|do|check|strip|remove|format|lint|test|update|rebase|squash|delete|clean|build)\b.*\bbefore (you )?(commit|committing|push|pushing|merg\w*|open\w* a pr|hand\w*|say\w*( it'?s)? done|call\w* it done|finish\w*|submit\w*|ship\w*)\b/,
    kind: 'rule',
    confidence: 0.7,
  },
  { pattern: /^(be|stay) (brief|concise|terse|short|succinct)\b/, kind: 'preference', confidence: 0.75 },
  {
    pattern: /^no need to (summari[sz]e|explain|recap|list|repeat|apologi[sz]e|restate)\b/,
    kind: 'preference',
    confidence: 0.7,
  },
  // "the prod cluster is in eu-west-1, not us-east-1": a correction of a fact.
  {
    pattern:
      /^(the |our )?[\w./@-]+( [\w./@-]+){0,3} (is|are|lives?|runs?|sits?) (in|on|at|under) [^,]{1,40}, not\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  {
    pattern: /\b(is|are) only (reachable|accessible|available|deployed|running)\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  { pattern: /\b(files?|names?) (end|ends|should end|must end) (in|with)\b/, kind: 'fact', confidence: 0.7 },
  // "we're a tabs shop", "all timestamps in the DB are UTC".
  { pattern: /^we('re| are) an? [\w-]+ (shop|team|house|company|org)\b/, kind: 'fact', confidence: 0.7 },
  {
    pattern:
      /^(all|every) (?!(the|these|those|my|your|his|her|their|of)\b)[\w ]{1,30}? (are|is|must be|should be|have to be|stay|stays)\b(?!.*\b(passing|failing|broken|green|red|done|working|fixed|gone)\b)/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "rule of thumb for this codebase: …", "note for later: …": a lead that announces a standing rule or fact.
  {
    pattern:
      /^(quick |general |golden |house |one )?(rule of thumb|rule|convention|policy|principle|guideline|note for (later|the future|future reference)|for future reference|good to know|worth knowing|pro tip)s?\b[^:]{0,40}:\s*\S/,
    kind: 'rule',
    confidence: 0.75,
  },
  // Habitual present tense about the repository: "feature flags here go through LaunchDarkly",
  // "in this codebase errors are wrapped with fmt.Errorf", "we usually squash-merge".
  { pattern: /^we (usually|normally|typically|generally|only|just) [a-z]+\b/, kind: 'fact', confidence: 0.7 },
  {
    pattern:
      /^(?!(it|this|that|these|those|i|you|he|she|they)\b)[\w./@-]+(?: [\w./@-]+){0,3} (here|in this (repo|repository|project|codebase|monorepo)) (is|are|go|goes|live|lives|run|runs|use|uses|get|gets|need|needs|must|should|have|has)\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "Commit messages should be in English", "migrations must be reversible": a modal rule about a kind
  // of thing (a plural subject, not "the function" or "this test" of today's task).
  {
    pattern:
      /^(?!(the|this|that|these|those|it|its|my|your|his|her|their)\b)(?:(all|our|any|every) )?(?:[\w./@-]+ ){0,2}[\w./@-]*[a-rt-z]s (must|should|need to|have to|are to)( always| never| not)? (be|use|go|live|stay|run|have|start|end|follow|include|import|call|hit|touch|depend)\b/,
    kind: 'rule',
    confidence: 0.7,
  },
  // Generic structure rather than more phrasings:
  // "we pin every dependency exactly": we + a present-tense verb (not a modal, a plan or a past).
  {
    pattern:
      /^we (?!(need|want|should|could|can|have|must|will|would|may|might|shall|are|were|was|did|had|got|just|really|also|still|then|tried|saw|broke|went|made|found|thought|ran|wrote|took|left|lost|forgot|said|told|knew|came|began|built|sent|spent|kept|let|put|hit|set|see|think|know|mean|agree|discussed)\b)(?![a-z]+ed\b)[a-z]+ \S+/,
    kind: 'fact',
    confidence: 0.65,
  },
  // "the lint command is `pnpm lint:fix`", "the dev port is 5174": a named setting of the repository.
  {
    pattern:
      /^(the |our )?[\w -]{1,30}? (command|script|entry ?point|port|url|endpoint|branch|registry|(node|python|ruby|go|java) version) (is|are)\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "In this repo, integration tests talk to a real Postgres": a statement introduced as the repository's.
  {
    pattern:
      /^(in|across|throughout) this (repo|repository|project|codebase|monorepo),? (?!(can|could|would|should|is there|are there|do|does|did)\b)\S+ \S+/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "on dev machines redis is always on 6380 for this repo": where a thing is, for this repository.
  {
    pattern:
      /^(on [\w -]{1,24},? )?(the |our )?[\w./@-]+( [\w./@-]+){0,2} (is|are|runs?|lives?|listens?) (always |usually |normally )?(on|in|at|under) [^,;]{1,40}\b(for|in) this (repo|repository|project|codebase|service)\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "the build uses esbuild, not webpack": a present-tense statement with its contrast.
  {
    pattern:
      /^(?!(fix|add|make|use|write|change|update|rename|move|put|call|try|check|look|test|run|remove|delete)\b)(?:the |our )?[\w./@-]+(?: [\w./@-]+){0,2} (?!(was|has|needs|wants|seems|looks)\b)[a-z]+s\b[^,]{1,60}, (and |but )?not\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "all API handlers return a Result type", "every service exposes /healthz".
  {
    pattern:
      /^(all|every|each) (?!(of|time|the|these|those|my|your|his|her|their)\b)(?:[\w.-]+ ){0,3}[\w.-]+ (?:must |should |need to |have to )?(?:not )?(?!(pass|passes|fail|fails|work|works|broke|look|looks|seem|seems)\b)[a-z]+\b(?!.*\b(now|passing|failing|broken|green|red|done|fixed|gone|pass|passes|fail|fails|crash\w*|on my (machine|laptop))\b)/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "database migrations go in db/migrations", "fixtures belong under tests/fixtures/".
  {
    pattern:
      /\b(go|goes|belong|belongs|sit|sits|are stored|is stored|are kept|is kept|get put) (in|under|into|inside) `?[\w.@-]*\/[\w./@-]*/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "ping me before merging", "run the e2e suite before you deploy": a step tied to a recurring moment.
  {
    pattern:
      /\bbefore (you )?(commit|committing|push|pushing|merg\w*|open\w* a pr|deploy\w*|releas\w*|ship\w*|tagg?\w*|publish\w*)\b/,
    kind: 'rule',
    confidence: 0.7,
  },
  // "the feature flags moved out of config/flags.yml", "X isn't in src/components anymore".
  {
    pattern:
      /\b(moved|migrated) (out of|away from|off)\b|\bno longer (in|lives?|under|used)\b|\b(isn't|aren't|is not|are not) (in|under) \S+ any ?more\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  // A generic statement about a kind of thing (a bare plural subject, no "the"/"this"):
  // "env vars are read through src/config/env.ts only", "dependency versions are pinned exactly".
  {
    pattern:
      /^(?!(the|this|that|these|those|it|some|many|most|few|my|your|his|her|their|there|users|customers|people|things)\b)(?:[a-z][\w.-]* ){0,2}[a-z][\w.-]*[a-rt-z]s (are|get) (?!(fixed|done|broken|finished|merged|deployed|pushed|failing|passing|gone|slow|down|missing|stuck|flaky|red|green)\b)([a-z]+(ed|en|wn|lt|nt)|read|set|put|run|kept|held|sent|split)\b( \w+)?( (with|via|using|by|from|through|in|under|on|at|as|next to|exactly|only|per)\b|[,.]?$)/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "the docs site is built with mkdocs", "the API is deployed from the release branch": how a thing is made.
  {
    pattern:
      /^(the |our )?[\w./@-]+( [\w./@-]+){0,2} (is|are) (built|deployed|hosted|generated|written|managed|configured|served|bundled|compiled|released|published|stored|kept|defined|declared|loaded|linted|formatted|versioned|pinned|tracked|vendored|mirrored|synced|backed up) (with|via|using|by|from|through|in|on|at|as|exactly|only|to)\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "our API returns snake_case JSON": our + a present-tense verb (not a problem report).
  {
    pattern:
      /^our [\w./@-]+( [\w./@-]+)? (?!(is|was|has|keeps|seems|looks|fails|breaks|crashes|times)\b)[a-z]+s\b(?!.*\b(error|errors|5\d\d|500s|fail\w*|broken|crash\w*|slow|timeout|timing out|again|wrong|now|today)\b)/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "staging only ever deploys from release/* branches", "main never goes to staging": how a thing
  // behaves, always (a habitual present with a frequency adverb; problem reports are guarded below).
  {
    pattern:
      /^(?!(it|this|that|these|those|i|you|he|she|they|we|there)\b)(the |our )?[\w./@*-]+( [\w./@*-]+){0,2} (only ever|only|never|always|ever) (?!(get|gets|got|seem|seems|work|works|break|breaks|fail|fails|crash\w*)\b)[a-z]+s\b [^,]{0,60}\b(from|to|on|in|via|through|with|against)\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "the staging db resets every Monday", "the cache is rebuilt nightly": something that recurs.
  {
    pattern:
      /^(the |our )?[\w./@-]+( [\w./@-]+){0,2} (?!(was|has|had|did)\b)[a-z]+s\b[^,?]{0,40}\b(every (day|night|morning|week|hour|monday|tuesday|wednesday|thursday|friday|saturday|sunday|release|deploy)|nightly|weekly|daily|hourly)\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  {
    pattern:
      /\b(sit|sits|live|lives|go|goes|belong|belongs|stay|stays) (next to|alongside|beside) (the|their|its)\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "reply in English even when I write in Chinese": how to talk to the person.
  {
    pattern: /^(reply|answer|respond|talk|speak) (to me )?(in|with|using) \w+/,
    kind: 'preference',
    confidence: 0.75,
  },
  // "I like commit messages in the imperative mood", "I'd like explanations short": a taste about a kind.
  {
    pattern:
      /^i('d| would)? (really )?(like|love|want) (?!(it|this|that|the|your|how|what|when|where|to|you)\b)([\w-]+ ){0,2}[\w-]+s (short|brief|concise|small|terse|in|to be|as|over|instead of|rather than|with|without|kept|written|under)\b/,
    kind: 'preference',
    confidence: 0.7,
  },
  // "for anything bigger than a few lines, I'd like you to show me the diff first": a wish that stands.
  {
    pattern: WISH_FOR_YOU,
    kind: 'preference',
    confidence: 0.75,
  },
  // "give me PowerShell commands, not bash": what to give the person, with its contrast.
  {
    pattern: /^(give|show|send|write|reply with|answer with|use) (me )?[^,]{1,40}, not \S/,
    kind: 'preference',
    confidence: 0.7,
  },
  // "when I ask for a review, just list the problems": how to answer a recurring request.
  {
    pattern:
      /^(when|whenever|every time|each time) i (ask|say|want|need|request|tell|send)\b[^,]{0,60},\s*\S/,
    kind: 'rule',
    confidence: 0.75,
  },
  // "ask before installing any new dependency": check with the person before a kind of action.
  {
    pattern:
      /^(always )?(ask|check with me|confirm with me|ask me|ping me) (first )?before (?:you )?(?!you\b)[a-z]+\b(?! (it|this|that|them)\b)/,
    kind: 'rule',
    confidence: 0.7,
  },
  // "no emojis in your replies": a standing prohibition about what the agent writes.
  {
    pattern:
      /^no (more )?[\w-]+ (in|on) (your|the|my|our|any) (repl(y|ies)|answers?|responses?|commits?|commit messages?|prs?|pull requests?|code|comments?|messages?|output|summar(y|ies))\b/,
    kind: 'prohibition',
    confidence: 0.75,
  },
  // "staging is api.staging.quarry.internal", "the dev db is at localhost:5433": where a thing is.
  {
    pattern:
      /^(the |our )?[\w-]+( [\w-]+){0,2} (is|lives at|runs at|is at|is on|is reachable at) `?((https?:\/\/)?[\w-]+(\.[\w-]+){2,}|(https?:\/\/)?[\w-]+\.(com|net|org|io|dev|app|internal|local|cloud)(:\d+)?|localhost:\d+)\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "one component per file is the rule in this codebase": a statement named as the rule.
  {
    pattern:
      /\b(is|are) (the|our|a|an) (house |team |usual )?(rule|convention|norm|standard|policy|practice)\b/,
    kind: 'rule',
    confidence: 0.75,
  },
  // "errors get wrapped with %w here": a habitual passive about a kind of thing in this repository.
  {
    pattern:
      /^(?!(it|this|that|these|those|i|you|he|she|they|we|the bug|the test|the build)\b)[\w./@-]+(?: [\w./@-]+){0,2} (get|gets|are|is) (?!(fixed|done|broken|finished|merged|deployed|pushed|failing|passing|gone)\b)[a-z]+(ed|en)\b[^,]{0,60}\b(here|in this (repo|repository|codebase|project))\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "everything under vendor/ is synced from upstream": what holds for a whole folder.
  {
    pattern:
      /^(everything|anything|all files|nothing) (under|in|inside|below) `?[\w.@-]*\/[\w./@-]*`? (is|are|gets?|must|should|comes?)\b/,
    kind: 'fact',
    confidence: 0.7,
  },
  // The person's own habit: "I sign everything", "I do the pushing myself", "I usually rebase".
  {
    pattern:
      /^i (?!(think|guess|know|see|mean|got|get|had|have|did|made|broke|ran|wrote|lost|saw|took|tried|need|want|am|was)\b)(?![a-z]+ed\b)[a-z]+ (everything|all my \w+|every \w+|each \w+)\b/,
    kind: 'preference',
    confidence: 0.7,
  },
  {
    pattern:
      /^i (?!(think|guess|know|see|mean|got|get|had|have|did|made|broke|ran|wrote|lost|saw|took|tried|need|want|am|was)\b)(?![a-z]+ed\b)[a-z]+ (the |my |all )?[\w-]+( [\w-]+)? myself\b/,
    kind: 'preference',
    confidence: 0.7,
  },
  {
    pattern:
      /^i (always|usually|normally|generally|typically|never|only|mostly) (?!(get|got|forget|see|think|guess|know|have|had|am|was|feel|wonder|mix|confuse|would|could|should|might|can|can't|do this|did)\b)[a-z]+\b/,
    kind: 'preference',
    confidence: 0.7,
  },
  // "I tend to work on one ticket per branch", "my habit is to run the linter first": the person's way.
  {
    pattern:
      /^(i tend to|i like to|i prefer to|my (habit|rule|preference|workflow|routine|convention) is( to)?) (?!(get|forget|think|guess|mess|mix|break|lose)\b)[a-z]+\b/,
    kind: 'preference',
    confidence: 0.7,
  },
  // "skip the basics when you explain things to me": an instruction tied to a recurring moment (not
  // "tell me when you're done").
  {
    pattern:
      /^(?!(tell|ping|let|call|show|send|message|notify|wake|give)\b)[a-z]+\b[^,]{0,60}\b(whenever|every time|each time|when) you (?!('re|are|have|get|can|finish|feel|want|think|see|need)\b)[a-z]+\b(?! (it|this|that|them|those|these)\b)/,
    kind: 'rule',
    confidence: 0.7,
  },
];

/** Chinese cues, tried on the sentence after leading fillers ("另外", "好的，", "请"). */
const ZH_CUES: readonly CueRule[] = [
  {
    pattern:
      /^(?:你|您)?(以后|今后|往后|之后都|从现在(开始|起)|从今(天)?(以后|开始|起)|永远|始终|一律|统一|总是|每次都?|一直都?)/,
    kind: 'rule',
    confidence: 0.85,
  },
  { pattern: /^(请记住|记住|记得|务必|一定要|千万要|必须)/, kind: 'rule', confidence: 0.8 },
  {
    pattern: /^(千万别|千万不要|永远不要|不要|别|不许|不准|禁止|不能|不可以|不得)/,
    kind: 'prohibition',
    confidence: 0.7,
  },
  {
    pattern: /^我(更|比较|一般)?(喜欢|偏好|习惯|倾向|希望你|讨厌|不喜欢)/,
    kind: 'preference',
    confidence: 0.75,
  },
  // "我平时都是先写测试再写实现", "我的习惯是每个提交只做一件事": the person's own way of working.
  {
    pattern: /^我的(习惯|做法)是|^我(平时|一般|通常|向来|一向|从来)(都|只)?(是|会|用|先|不|只)/,
    kind: 'preference',
    confidence: 0.7,
  },
  {
    pattern: /^我们[^，。]{0,6}?(都|一般|统一|主要|现在|目前)?是?(用|使用|采用|基于|走)/,
    kind: 'fact',
    confidence: 0.7,
  },
  { pattern: /^我们[^，。,]{0,10}?部署/, kind: 'fact', confidence: 0.7 },
  { pattern: /^我们的[^，。,]{1,12}?(是|在|用|使用|都在|放在)/, kind: 'fact', confidence: 0.7 },
  {
    pattern:
      /^(这个)?\s*(项目|仓库|代码库|repo|repository|project)\s*[^，。]{0,16}?(要用|用|使用|都是|都在)/i,
    kind: 'fact',
    confidence: 0.7,
  },
  {
    pattern:
      /^(这个|本)(服务|项目|仓库|应用|系统|库|模块)的?[^，。]{0,10}?(都|统一)?(是|用|使用|在|放在|打到|存在|部署在|跑在)/,
    kind: 'fact',
    confidence: 0.65,
  },
  // A topic first: "代码里统一用 async/await", "这个仓库中不要…".
  {
    pattern: /^[^，。,]{1,8}?[里中](统一|一律|以后都?|今后|总是|都用|不要|别|禁止)/,
    kind: 'rule',
    confidence: 0.75,
  },
  // "我们组的规范是 …", "这边的约定是 …": a stated convention.
  {
    pattern: /^[^，。]{0,10}?(规范|约定|规矩|惯例|规定|要求)(是|就是|[：:])/,
    kind: 'rule',
    confidence: 0.75,
  },
  // "你回复我的时候直接用中文": when you do X, do it this way (the Chinese "when you …").
  {
    pattern: /^你?[^，。]{1,12}的时候[^，。]{0,12}?(用|要|别|不要|都|记得|先)/,
    kind: 'rule',
    confidence: 0.7,
  },
  // "本地开发用的配置在 conf/dev 目录下": something is in a path.
  {
    pattern: /^[^，。]{1,24}?(在|放|位于|放到|挪到|移到|搬到)\s*`?[\w.@-]*\/[\w./@-]*/,
    kind: 'fact',
    confidence: 0.7,
  },
  // "接口返回的时间统一用 UTC", "生产库禁止直接连": 统一/一律/禁止 anywhere in a short clause.
  {
    pattern:
      /^(?!(帮我|帮忙|给我|把|请帮|麻烦))(?![^，。]*(这个(?!项目|仓库|服务|代码库|repo)|这次|这里的|刚才))[^，。,；;]{1,16}?(统一|一律|禁止|不允许|不准)[^，。,]{1,30}/,
    kind: 'rule',
    confidence: 0.7,
  },
  // A rule after a comma: "…，别再写 .then() 链了", "…，以后都用 pnpm".
  {
    pattern: /[，,；;]\s*(别再?|不要再?|千万别|千万不要|禁止|以后都|今后都|统一用)/,
    kind: 'rule',
    confidence: 0.7,
  },
  // "这个仓库里的 third_party 目录别动", "internal/pb 不要手改": a prohibition that does not open the sentence.
  // (别 inside 级别, 区别, 特别 … is not "don't".)
  {
    pattern:
      /((?<![级区分类特告识鉴辨差性派个])别|不要|不能|不许|不准|禁止|千万别)(再)?(动|改|碰|修改|手改|手动改|直接改|提交|删|用|写|加)/,
    kind: 'prohibition',
    confidence: 0.7,
  },
  {
    pattern:
      /(要先|得先|需要先|必须先|一定要先|一定先|务必先|都要(?![\d一二三四五六七八九十几半两好]|花)|都得(?![\d一二三四五六七八九十几半两好]|花)|必须)|前(一定|必须|务必|都要|要|先)/,
    kind: 'rule',
    confidence: 0.7,
  },
  // "注释写中文就行": how something is done, settled with 就行/就好.
  {
    pattern: /^[^，。]{1,10}(写|用|说|放|跑|执行)\s*(`[^`]+`|[^，。]{1,12})\s*(就行|就好|就可以)/,
    kind: 'rule',
    confidence: 0.7,
  },
  {
    pattern:
      /^(我们|项目|仓库|这个仓库|这个项目)[^，。]{0,12}?(都|统一|一律)?(用|使用|采用|跑在|部署在|放在|在)/,
    kind: 'fact',
    confidence: 0.7,
  },
  {
    pattern: /^[^，。]{1,20}?(都在|放在|位于|(?<!不)存在|打到)[^，。]{1,30}/,
    kind: 'fact',
    confidence: 0.65,
  },
  {
    pattern: /^(主分支|默认分支|线上|生产|测试环境|数据库|网关|日志)[^，。]{0,10}?(是|在|用)/,
    kind: 'fact',
    confidence: 0.7,
  },
  { pattern: /^(记一下|记下|记着|备注一下|备注)/, kind: 'rule', confidence: 0.8 },
  // "测试数据库的端口是 5433，不是 5432": a corrected fact.
  { pattern: /(是|用)[^，。,]{1,30}[，,]\s*(而)?(不是|不用)/, kind: 'fact', confidence: 0.7 },
  { pattern: /^(咱们|我们这边|咱们这边|我们这里|这边)/, kind: 'fact', confidence: 0.65 },
  // "PR title 要带 jira 号，…不然 CI 会挂": a requirement with its reason or scope.
  {
    pattern:
      /^(?=[^。]*(不然|否则|要不然|每个|所有|都))[^，。]{1,30}?(要|得|需要|必须)(带|加|写|用|跑|有|包含|填)/,
    kind: 'rule',
    confidence: 0.7,
  },
];

const EN_FILLER =
  /^(?:(?:ok(?:ay)?|so|and|also|btw|by the way|fyi|generally|in general|as a rule|oh|yes|yeah|yep|actually|please|pls|plz|hey|hmm+|well|alright|again|wait|sorry|but|cool|great|thanks|thx|nice|then|one more thing|heads up|quick note|for the record|just so you know|for future reference|fwiw|tbh|imo|imho|honestly|frankly|psa|ugh+|argh+|sigh|meh|man|dude|lol)\b[\s,.:;!—–-]*|(?:no|nope|nah|right|note|important|reminder)\s*[,.:;!—–-]+\s*|(?:(?:a |one |general |quick |small )?(?:thing|note|fact|heads[- ]up) about me|about me)\s*[:：—–-]\s*)/i;
const ZH_FILLER =
  /^(?:(?:另外|还有|对了|顺便(?:说一下|提一下)?|然后|而且|并且|同时|好的|嗯+|哦|噢|唔|OK|ok|行|请你|请|麻烦你?|那个|注意|提醒一下|说一下|补充一下)[\s，,、：:。!！]*|(?:好|对|是的|不对|不是|不|错了)[\s]*[，,。：:!！]+\s*)/;

const EN_IDIOM =
  /^(don't|do not|dont) (worry|bother|mind|know|think|understand|see|care|get|have|need|forget to tell)\b|^never mind\b|^no worries\b|^stop (here|there|it|now|for now)\b|^stop\s*[,.!—–-]|^stop$|^i('d| would)? (prefer|like|'d prefer|would prefer|'d rather|would rather) (the |your )?(first|second|third|last|other|former|latter|option|approach|version|one|this|that(?! (you|we|the|all|every)\b)|it|them|what you|plan)\b|^we(?:'re| are)? ?(use|using|need|call) (this|that|it|these|those|them)\b/;
const ZH_IDIOM = /^(别|不要)(担心|急|着急|客气|管了?|在意|紧)|^不要紧|^(以后|回头|之后|改天)再说|再说吧/;
/**
 * A state in progress ("our staging server is running out of disk", "we're migrating off Heroku"),
 * not how things are; "we're using pnpm", "it's running on k8s" are.
 */
const EN_PROGRESSIVE =
  /^(?:[\w./@-]+ ){0,4}(is|are|'re|'s|am) (?!(using|running on|built on|based on|hosted on|targeting|pinned|living|sitting)\b)[a-z]+ing\b/;
/** A problem report ("our scheduler sends duplicate emails"), not a fact about how things are. */
const EN_PROBLEM =
  /\b(duplicate\w*|twice|wrong|broken|(returns?|throws?|shows?|gives?|getting|gets?) (an? )?(errors?|exceptions?|5\d\ds?|4\d\ds?)|crash\w*|slow\w*|leak\w*|random\w*|weird|strange|empty|stuck|hang\w*|times out|timed out|timing out|a lot of|too (much|many)|still|anymore|no longer work\w*|(fails|failed|failing|crashes|broke)\b(?! (without|unless|if|when|on (windows|mac|linux))))\b/;
/** Opinions and venting: "this repo is a mess honestly" is not a fact to store. */
const EN_OPINION =
  /\btoo (?!(is|are|and|but|so|if|when|as|in|on|at|for)\b)[a-z]+|\bnoisy\b|\b(a mess|messy|terrible|awful|awesome|ugly|weird|annoying|confusing|crap|garbage|sucks|honestly|i guess|lol|stupid|dumb|damn|way too|too (much|many|slow|long|big|often))\b/;
/** "always the same with this test", "never seen this before": always/never not opening a rule. */
const EN_NOT_A_RULE =
  /^(always|never) (the|a|an|same|so|like|with|been|seen|this|that|it|there|here|happens?|something|one|more|too|any|ever|again|works?|did|does|has|had|was|is|fun|nice|good|great|bad|fine|funny|hard|easy|true|interesting|amazing|painful)\b/;
/** "use the existing helper instead of a new one": a choice about one thing of today's task. */
const EN_CHOICE_ABOUT_ONE =
  /^(use|prefer|pick|take) (the existing|the same|the \w+ one|the (first|second|third|last|other|new|old)|this|that|these|those|a|an|your|my)\b/;
/** "I want the signup button blue": a wish about one thing of today's task. */
const EN_WISH_ABOUT_ONE = /^i('d| would)? (want|need|like) (the|this|that|these|those|it|a|an|my)\b/;

/**
 * A rule about one thing of today ("double-check this PR", "from now on this function should return
 * null"): a deictic object is the task at hand, even with "from now on".
 */
const EN_DEICTIC =
  /\b(this|that|these|those) (pr|prs|pull request|function|file|method|class|component|test|endpoint|page|module|change|branch|bug|issue|ticket|feature|query|script|handler|one|screen|form|button|field|answer|reply|response|time|run|task|helper|util|hook|wrapper|snippet)\b/;
/** A state of the moment before a clause ("部署的时候报错了，日志在下面"): the clause is about that moment. */
const ZH_STATE_BEFORE = /(报错了|挂了|坏了|失败了|出错了|超时了|崩了|又)/;

/** A statement about the person: who they are, what they use, how they work. */
const PERSONAL_HEAD =
  /^(i'm|i am|i use|i read|i review|i work|i run|i write|i code|i live|i'm on|i am on|i only|i never|i always|i mostly|i usually|i don't|i do not|i can't|i cannot|i'll (handle|do|take care of|own)|i (handle|do|own) (the|all|every|my)|my [\w-]+( [\w-]+)? (is|are))\b/i;
/** Instructions that stand when a statement about the person gives their reason. */
const PERSONAL_INSTRUCTION =
  /^(so )?(please )?(when(ever)? you (explain|write|answer|reply|review|suggest|show|describe|teach)\b[^,]{0,40},? (compare|use|keep|give|show|relate|write|explain|start)|give|use|keep|avoid|write|show|send|stick|prefer|skip|assume|describe|explain|answer|reply|format|wrap|include|leave|ask|tell|no|don't|do not|never|always|stop|sign|spell|put|talk|address|you (don't|do not|never|shouldn't|should never))\b/;

/** Words that limit an instruction to the moment: "don't commit yet", "先别提交". */
const EN_MOMENTARY =
  /\b(in|for|inside) (this|that) (function|file|method|class|component|test|endpoint|page|module|pr|change|script|query|handler)\b|\b(for|in) (this|that)\s*([,.;!]|$)|\b(this|that)\s*[.!]*$|\b(for|on|of) (this|that|the new) (?!(repo|repository|project|codebase|team|monorepo|box|machine|laptop|server|host|kind|sort|type)\b)\w+|\b(yet|for now|right now|just now|this time|this one|today|tonight|at the moment|until|till|before i|in this pr|in this commit|in this branch|my (working copy|checkout|local changes|changes))\b/;
const EN_ONE_OFF_OBJECT =
  /^(don't|do not|dont|stop|avoid|never) \w+(ing)? (it|that|this|them|those|these|anything|something|everything|nothing)\b(?!( \w+){0,2} (in|into|under|to|from|on) [\w./-]*[./][\w./-]*)/;
const ZH_MOMENTARY =
  /(上次|有问题|那个(函数|文件|方法|类|组件|接口|页面|测试|模块|脚本|bug|PR|pr)|这个(函数|文件|方法|类|组件|接口|页面|测试|模块|脚本|bug|PR|pr)|这段|这里的|^先|先(别|不要|不|放|这样|看|等)|暂时|这次|今天|马上|这回|这一次|一会儿|(?<!从)现在(?!开始|起))/;

/** Today, this time, right now: a Chinese statement about the moment ("今天先别部署了"). */
const ZH_NOW =
  /今天|今晚|明天|这次|这回|这一次|马上|一会儿|刚才|先别|先不要|(?<!从)现在(?!开始|起|是|用|在|都|统一)/;

const EN_QUESTION_START =
  /^(should|shall|could|can|would|will|does|did|is|are|was|were|what|why|how|which|who|where|when|may|might|have|has|am|do(?! not\b))\b/;
// (An embedded question is no question: "写清楚怎么验证的" says what to write down.)
const ZH_QUESTION =
  /(能不能|可不可以|要不要|是不是|会不会|是否|有没有|行不行|好不好|对不对|(?<!(写清楚|说清楚|讲清楚|写明|说明|注明|标明|记录|解释|描述))怎么|为什么|为啥|哪些|哪个|什么)|[吗呢么][\s。!！]*$/;
const EN_HYPOTHETICAL =
  /^(if|what if|suppose|supposing|imagine|hypothetically|assuming|assume|maybe|perhaps|probably|i wonder|not sure|let's say|say we|i think|i guess|i believe|in case|unless|would it)\b/;
const ZH_HYPOTHETICAL =
  /^(如果|假如|假设|要是|万一|也许|或许|可能|比如|假使|倘若|我觉得|我猜|感觉|不如|我在想)/;

/**
 * Hedged: what the person is unsure of is not a fact or a rule ("staging probably runs on 14",
 * "it's in config/ I think", "测试环境好像是在 …"). Voids its own sentence.
 */
const EN_HEDGE =
  /\b(maybe|perhaps|probably|possibly|presumably|i think|i guess|i believe|i suppose|i assume|i reckon|i'm not sure|not sure|not (100%|entirely|totally|completely|really) sure|unsure|not certain|iirc|afaik|if i remember|if i recall|i forget|i don't remember|or something|might|i'm not convinced|not convinced|i doubt|rumou?r|rumou?red|supposedly|apparently|nobody (has )?confirmed|not confirmed|who knows)\b/;
const ZH_HEDGE =
  /也许|或许|可能|好像|似乎|貌似|大概|估计|说不定|不确定|不太确定|不一定|我记得|印象中|没想好|不清楚|不太清楚|听说|据说|传言|不知道真假|不知道是不是|未必|说不好/;
/**
 * Undecided, proposed, planned: not how things are ("not decided yet", "still up in the air",
 * "there's a proposal to …", "还没定", "待定", "先不管", "回头再说"). Voids its sentence and the one
 * before it, which it usually qualifies ("Use /api/v2 for new routes. Not decided yet though.").
 */
export const EN_UNDECIDED =
  /\b(just (an? )?(idea|thought)|only (an? )?(idea|thought)|thinking out loud|not (yet )?(decided|settled|final(i[sz]ed)?|agreed( on)?|confirmed|set in stone|official)|(decided|settled|agreed) yet|undecided|tbd|to be (decided|determined|confirmed|discussed)|up in the air|(still|currently) (discussing|debating|deciding|figuring|arguing|undecided|open|being discussed|under discussion|in discussion|talking about)|under discussion|open question|haven't (decided|settled|agreed|made up)|have not (decided|settled|agreed)|no decision|we'll see|tentative(ly)?|being debated|a proposal|proposed|never (really |actually )?(agreed|decided|settled)( on)?|no (consensus|conclusion|agreement)( yet)?|(still )?(evaluating|weighing|investigating) (whether|if|options|alternatives)|haven't finali[sz]ed|not finali[sz]ed|pending (a )?decision|open for discussion|(we'll|we will|we'd) decide later|depends on (what|whether|how|the)|we're considering|we are considering|thinking (about|of) (moving|switching|migrating|using|adopting|changing|dropping)|(planning|plan|want|going) to (move|switch|migrate|adopt|drop|replace) |if we (ever|end up|decide|go with|switch|move)\b|\b(someday|some day|one day|at some point|eventually|down the road|in the long run)\b|^(but )?(not (now|yet|today|for now)|later)( though)?[.!]*$)/;
export const ZH_UNDECIDED =
  /只是(个|一个)?(想法|主意|念头|设想|提议)|随便想想|(还|尚)?(没有?|未)(最终|正式|完全|真正)?(定|确定|决定|敲定|拍板|商定|想清楚)(?!义|时|期|位|制|向)|还不确定|还在(评估|考虑|调研|对比|看)|评估中|考虑中|调研中|取决于|要看情况|还没最终|没有?(结论|定论|共识)|没定下来|还没有定|没有定(?!义)|未定|待定|还没决定|没决定|没有决定|还没确定|没确定|还在讨论|在讨论中|还在商量|再议|回头再说|以后再说|到时候再说|改天再说|先不管|看情况|暂定|还没想好|还没拍板|没拍板|还没敲定|没敲定|(定了|确认了|决定了|讨论完|开完会|回头|到时候|改天|之后)再说|再说吧|先放着|放一放|先搁着|打算(?!盘)|(计划|准备)(要|把|在|下个|明年|今年|换|迁|改用|引入|上)/;
/**
 * Temporary: how things are until they change ("we use SQLite for now, this will change", "接口暂时
 * 先放在 legacy 目录，之后再调整") is not how things are. Voids its sentence.
 */
const EN_TEMPORARY =
  /\b(for now|for the time being|temporar(y|ily)|interim|stopgap|this will change|until (we|the) (migrat\w+|move|switch\w*|rewrite|refactor\w*|cutover)|until we (migrate|move|switch|finish|have|get)|(we'll|we will|we're going to) (switch|move|migrate|change))\b/;
const ZH_TEMPORARY = /暂时|临时|先这么(用|做|来|写)|(之后|后面|以后)(会|再|要)(换|改|调整|迁)/;

/**
 * Withdrawn: "scratch that", "forget what I said about Jest", "算了，当我没说". Voids everything the
 * message said before it (and, in a later turn, what an earlier turn taught: see review.ts).
 */
export const EN_RETRACTION =
  /(?<!\b(?:don't|do not|never|not) )\b(scratch that|forget (that|it|this|what i said|about (that|it|what i said)|my (last|previous)|the (last|previous) (thing|message|rule|point|one)|i said)|never mind (that|what i said|my (last|previous)|the (last|previous))|ignore (that|what i said|my (last|previous))|disregard (that|what i said|my (last|previous))|i take (that|it) back|strike that|on second thought|don't (write|note|save|remember|store|record) (that|this|it)( down)?|no need to (remember|note|save|record) (that|this|it)|(scratch|forget|ignore|disregard|never mind|drop) (about )?the [\w./@-]+( [\w./@-]+)? (thing|part|bit|rule|idea|point|one|comment|remark))\b/;
export const ZH_RETRACTION =
  /(?<![计打清结合估推运换演核预盘就])算了|当我没说|不用记|别记|先别记|不要记|(刚才|之前|上面|前面)(说|讲|提)的[^，。]{0,12}?(不算|作废|先不算|先别记|别记|不用记|不对|收回|忽略)|收回(刚才|前面|上面)?(的话|那句)|撤回|忽略(刚才|我刚才|上面|前面)/;
/**
 * Someone else's view, not the person's: "Dana thinks we should …", "the lead wants …", "老王说我们
 * 应该 …". The person may not agree; it is not theirs to teach. Voids its sentence.
 */
const EN_OTHERS_NAMED =
  /(^|[,;:]\s*|\b(?:and|but|so|well|apparently|btw)\s+)(?!(?:I|We|You|It|This|That|There|Then|And|But|So|Also|Please|Always|Never|Our|The|My|Your)\b)[A-Z][a-z]{2,}(?: [A-Z][a-z]+)? (thinks|says|said|told (?:me|us)|tells (?:me|us)|wants|wanted|suggests|suggested|proposes|proposed|argues|argued|believes|reckons|feels|claims|mentioned|keeps saying|is pushing for|prefers)\b/;
const EN_OTHERS =
  /\b(someone|somebody|some people|people|others|they|he|she|the (team ?lead|lead|boss|cto|pm|manager|architect|reviewer|other team|backend team|frontend team|platform team)|my (boss|manager|lead|colleague|coworker|teammate)|our (lead|cto|pm|manager|architect)) (thinks?|says|said|wants?|suggests?|suggested|proposes|proposed|argues?|argued|believes?|reckons?|feels?|claims?|mentioned|keeps? saying|is pushing for)\b/i;
const ZH_OTHERS =
  /(^|[，,。；;])(?:我们的?|咱们的?|我的)?[^，,。；;我]{0,4}?(老[\u4e00-\u9fff]|小[\u4e00-\u9fff](?=说|觉得|认为|建议|提议)|[\u4e00-\u9fff]{1,2}(?:总|哥|姐|工)|他们|他|她|有人|别人|同事|组长|领导|老板|产品|经理|架构师|后端|前端|运维|[A-Z][a-z]+)(说|觉得|认为|建议|提议|主张|坚持)(?![明过法])/;

/** Reported speech of a fact, not of a view: "Lee told me …", "Jo said …", "小李说 …". */
const EN_HEARD =
  /^(?:(?:[Oo]h|[Bb]tw|[Ff]yi|[Ss]o|[Aa]lso|[Aa]nd|[Hh]ey|[Oo]k(?:ay)?),?\s+)?(?:(?:[Aa]ccording to|[Pp]er) [\w' ()-]{2,40},\s*|[Ii] (?:heard|was told|learned)(?: from [\w' -]{2,40}?)?(?: that)?\s+|(?:[A-Z][a-z]{1,15}(?: [A-Z][a-z]+)?(?: \([^)]{0,40}\))?|someone|somebody|my (?:colleague|coworker|teammate|lead|manager)|the (?:team ?lead|lead|platform team|backend team|frontend team|other team)) (?:told (?:me|us)|tells (?:me|us)|said|says|mentioned|let me know)(?: (?:on \w+|yesterday|last week|earlier|this morning))?(?: that)?\s+)/;
const ZH_HEARD =
  /^(?:(?:对了|另外|还有)[，,]?\s*)?(?:听|据)?(?:老[\u4e00-\u9fff]|小[\u4e00-\u9fff]|[\u4e00-\u9fff]{1,2}(?:总|哥|姐|工)|同事|组长|领导|运维|后端|前端|[A-Z][a-z]+)(?:跟我)?(?:说|告诉我|提到)(?:过)?[，,:：]?\s*/;
/** What a reported statement must not be to count as a fact: a view, a wish, a rule. */
const HEARD_VIEW =
  /\b(should|must|ought|wants?|prefers?|thinks?|better)\b|应该|必须|最好|觉得|认为|建议|要求/i;
/** A reply or output that says the thing is not there. */
const NOT_THERE =
  /\b(no such file|not found|does(n't| not) exist|isn't there|is not there|couldn't find|could not find|cannot find)\b|不存在|找不到|没有这个/i;

/** True when a sentence opens with someone else's report of a fact ("Lee told me …", "小李说 …"). */
function reportsHearsay(sentence: Sentence): boolean {
  return (hasCjk(sentence.masked) ? ZH_HEARD : EN_HEARD).test(sentence.masked);
}

/**
 * The sentence without its "X told me" head when it reports a fact with a path that the turn's own
 * tool calls confirmed (a successful command or its output names the path, nothing failed on it, the
 * reply does not say it is missing); otherwise undefined and the hearsay stays silent.
 */
function confirmedHearsay(
  sentence: Sentence,
  entries: Transcript['turns'][number]['entries'],
): Sentence | undefined {
  const head = hasCjk(sentence.masked) ? ZH_HEARD.exec(sentence.masked) : EN_HEARD.exec(sentence.masked);
  if (!head) return undefined;
  const rest: Sentence = {
    text: sentence.text.slice(head[0].length),
    masked: sentence.masked.slice(head[0].length),
  };
  const claim = rest.masked.split(/[，,；;]|\s[—–]\s/)[0] ?? rest.masked;
  if (HEARD_VIEW.test(claim) || hedged(claim.toLowerCase())) return undefined;
  const paths = [...claim.matchAll(/[\w.@-]*\/[\w./@-]+|\b[\w-]+\.[a-z]{2,8}(?:\.[a-z]{2,8})?\b/g)]
    .map((match) => match[0].replace(/[.,;:]+$/, ''))
    .filter((path) => path.length >= 4 && /[/.]/.test(path));
  if (paths.length === 0) return undefined;
  const resultAt = toolResults(entries);
  let seen = '';
  let failed = '';
  entries.forEach((entry, index) => {
    if (entry.kind === 'assistant') failed += NOT_THERE.test(entry.text) ? `\n${entry.text}` : '';
    if (entry.kind !== 'tool_call' || entry.name === 'apply_patch') return;
    const result = resultAt(index);
    if (result === undefined) return;
    const output = result.output.slice(0, 100_000);
    if (result.exitCode === 0 && output.trim() !== '' && !NOT_THERE.test(output))
      seen += `\n${entry.input}\n${output}`;
    else failed += `\n${entry.input}\n${output}`;
  });
  // A listing shows the files of a folder, not the folder's path: `ls apps/web/e2e` names it.
  const confirmed = paths.every((path) => seen.includes(path) && !failed.includes(path));
  return confirmed ? rest : undefined;
}

/**
 * The claim of a confirmed report when it says where something is ("本地环境变量的模板在
 * deploy/env/local.env.example", "the seeds are under db/seeds"): its first clause, as a fact.
 */
function placedFact(sentence: Sentence): CueSentence | undefined {
  // "it got ripped out in November and that feature flags are all in config/flags.yaml now": the part
  // that places something.
  const claim = (
    (sentence.text.split(/[，,；;]|\s[—–]\s/)[0] ?? '')
      .split(/\s+and (?:that\s+)?/)
      .find((part) => /\//.test(part)) ?? ''
  )
    .trim()
    .replace(/[.。!！]+$/, '');
  const placed =
    /[\u4e00-\u9fff]\s*(在|放在|挪到了?|搬到了?|迁到了?)\s*`?[\w.@-]*\/[\w./@-]+/.test(claim) ||
    /\b(is|are|lives?|sits?|moved|went)( all| now)? (in|at|under|to|into)\s+`?[\w.@-]*\/[\w./@-]+/i.test(
      claim,
    );
  if (!placed || claim.length > 160) return undefined;
  return {
    cue: { kind: 'fact', confidence: 0.7 },
    quote: sentence.text,
    content: claim,
    words: contentWords(claim),
  };
}

/** Topics of the person's way of working (→ `user` scope). */
const USER_TOPIC_EN =
  /\b(answers?|reply|replies|respond|responses?|explain\w*|summar\w*|tone|verbose|concise|brief|commit messages?|pr descriptions?|ask me|tell me|show me|talk to me|language|emojis?|failing test first|tests? first|tdd|walk me through)\b/;
const USER_TOPIC_ZH = /(回答|回复|解释|总结|中文|英文|提交信息|语气|啰嗦|简洁|先写测试)/;
const FIRST_PERSON_EN =
  /^i('m| am) (?!(sure|not sure|thinking|wondering)\b)|^my (editor|shell|os|laptop|machine|setup|terminal|screen|eyes|keyboard)\b|\bi('d| would)? (always |never |usually |really )?(prefer|like|want|hate|don't like|rather|'d rather|would rather)\b|^i (?!(think|guess|believe)\b)[a-z]+\b/;
const FIRST_PERSON_ZH = /^我(?!们)|我(更|比较)?(喜欢|偏好|习惯|希望)/;
/** Topics of the repository (→ `global` scope). */
const GLOBAL_TOPIC_EN =
  /\b(we|our|us|repo|repository|project|codebase|monorepo|workspace|team|ci|deploy\w*|staging|production|prod|generated|migrations?|database|db|api|services?|packages?|pnpm|npm|yarn|bun|docker|postgres\w*|mysql|redis|kubernetes|k8s|kubectl|terraform|make|cargo|rspec|pytest|jest|vitest|eslint|prettier|tsc|tsconfig|vite|webpack|fly|vercel|heroku|aws|gcp|azure|clickhouse|goose|prisma|exports?|imports?|tests? live)\b/;
const GLOBAL_TOPIC_ZH = /(我们|咱们|这边|项目|仓库|代码库|部署|生成|数据库|迁移|线上|测试环境|生产)/;

/** A sentence that carries a cue, with the part to keep. */
interface CueSentence {
  cue: Cue;
  /** The sentence as written (for the evidence quote). */
  quote: string;
  /** The sentence without leading fillers (for the memory content). */
  content: string;
  words: Set<string>;
}

/** Extracts preference, correction and fact proposals from the human's messages. */
export function extractPreferences(transcript: Transcript): Proposal[] {
  const proposals: Proposal[] = [];
  let lastReply = '';
  for (const turn of transcript.turns) {
    const replyBefore = lastReply;
    for (const entry of turn.entries) if (entry.kind === 'assistant') lastReply = entry.text;
    for (const entry of turn.entries) {
      if (entry.kind !== 'user' || isCodexInjectedUserText(entry.text)) continue;
      const sentences = splitSentences(entry.text);
      const voided = voidedSentences(sentences);
      const answered = answeredPath(sentences, replyBefore);
      const groups: CueSentence[][] = [];
      let previousCue: CueSentence | undefined;
      sentences.forEach((sentence, position) => {
        // "Lee told me the e2e tests live in apps/web/e2e now" and the agent's listing shows them there:
        // a fact heard from someone else stands once the turn confirmed it.
        // Unconfirmed, it stays silent like any other view that is not the person's.
        const reported = reportsHearsay(sentence);
        const heard = reported ? confirmedHearsay(sentence, turn.entries) : undefined;
        if ((voided.has(position) || reported) && heard === undefined) {
          previousCue = undefined;
          return;
        }
        // "this repo always runs with AWS_PROFILE=infra-admin. remember that so I stop getting this
        // question", "…我的习惯：…。以后都按这个来": the pointer names the sentence before it as the
        // lesson (whatever its wording) and is no lesson itself.
        if (heard === undefined && pointsBack(sentence)) {
          const before = sentences[position - 1];
          const pointed =
            before !== undefined && previousCue === undefined && !voided.has(position - 1)
              ? pointedStatement(before)
              : undefined;
          // The quote stays the statement itself: a procedure laid out in it stays one recall note.
          if (pointed) groups.push([pointed]);
          previousCue = pointed;
          return;
        }
        const cued =
          analyzeSentence(heard ?? sentence) ??
          (heard ? placedFact(heard) : undefined) ??
          (reported ? undefined : (scopedHabit(sentence) ?? announcedStatement(sentence)));
        // "forget the old thing about always using create … these days it's build_stubbed by default",
        // "之前说 … 那个作废了。现在 staging 由 ArgoCD 自动 sync main": after the old way is dropped, the
        // sentence saying how it is now is the new rule, whole, whatever its wording.
        const replacement = reported
          ? undefined
          : sentences.slice(0, position).some((earlier) => REPLACED.test(earlier.masked))
            ? nowStatement(sentence)
            : // "之前那条 … 的规矩不用了，现在 CI 会自动打 tag": the old way and the new one in one sentence.
              REPLACED.test(sentence.masked)
              ? nowClause(sentence)
              : undefined;
        const found =
          replacement === undefined
            ? cued
            : cued === undefined
              ? replacement
              : { ...cued, content: replacement.content, words: replacement.words };
        // "ugh, again with the console.logs. strip them before …": "them" needs the sentence before.
        const before = sentences[position - 1];
        // "protos moved. api/proto/v2 now.": a bare path that says where something moved.
        const movedThere =
          found === undefined &&
          before !== undefined &&
          PATH_NOW.test(sentence.masked.trim()) &&
          MOVED.test(before.masked) &&
          before.text.split(/\s+/).length <= 6;
        if (movedThere && before) {
          const lead = cleanClause(before.text.slice(fillerLength(before.masked))).replace(/[.。!！]+$/, '');
          const content = `${capitalizeFirst(lead)}: ${sentence.text.trim().replace(/[.。!！]+$/, '')}`;
          const moved: CueSentence = {
            cue: { kind: 'fact', confidence: 0.7 },
            quote: `${before.text} ${sentence.text}`,
            content,
            words: contentWords(content),
          };
          groups.push([moved]);
          previousCue = moved;
          return;
        }
        if (
          found &&
          before &&
          /^[^.]{0,40}\b(them|those|these|it|that)\b/i.test(found.content) &&
          before.text.length <= 80 &&
          before.text.trim().split(/\s+/).length >= 3 &&
          !/[?？]/.test(before.text)
        ) {
          const lead = cleanClause(before.text.slice(fillerLength(before.masked)));
          if (lead.length >= 4 && analyzeSentence(before) === undefined) {
            const noun =
              /\b(?:the|those|these|all the|your|my|our)\s+([\w.@/-]+(?:\s[\w.@/-]+)?)\s*[.!]*$/i.exec(
                lead.replace(/[.。!！]+$/, ''),
              );
            found.content = noun
              ? found.content.replace(/\b(them|those|these|it|that)\b/i, `the ${noun[1]}`)
              : `${lead.replace(/[.。!！]+$/, '')}: ${lowerFirst(found.content)}`;
            found.quote = `${before.text} ${found.quote}`;
          }
        }
        if (found === undefined) {
          // "…, change X instead." right after a prohibition says what to do: keep it with it.
          if (
            previousCue &&
            (previousCue.cue.kind === 'prohibition' || HOLDS_PROHIBITION.test(previousCue.content)) &&
            isFollowUp(sentence)
          ) {
            previousCue.content = `${previousCue.content} ${sentence.text}`;
          }
          previousCue = undefined;
          return;
        }
        const last = groups.at(-1);
        const lastItem = last?.at(-1);
        // Adjacent cue sentences on the same topic ("never use default exports. we always use named
        // exports") are one lesson, not two.
        // "Be brief. No need to summarize …", "We're a tabs shop. Don't reformat …": a short statement
        // and the rule that spells it out are one lesson (two facts stay apart).
        const short =
          lastItem !== undefined &&
          lastItem.content.split(/\s+/).length <= 5 &&
          !hasCjk(lastItem.content) &&
          !(lastItem.cue.kind === 'fact' && found.cue.kind === 'fact');
        if (
          last &&
          lastItem &&
          lastItem === previousCue &&
          (short ||
            sharesTopic(lastItem.words, found.words) ||
            sharesTopic(contentWords(lastItem.quote), contentWords(found.quote)))
        )
          last.push(found);
        else groups.push([found]);
        previousCue = found;
      });
      // A bare prohibition next to a request ("Can you fix it? Don't touch the payment code.") limits
      // that request; it stands only with a marker (always, anymore, 以后) or a reason (", they're generated").
      const asks = sentences.some((sentence) => {
        const text = sentence.masked.slice(fillerLength(sentence.masked)).trim();
        if (/^(can|could|would|will) you\b|^(能|可以)?(帮我|帮忙|麻烦)/i.test(text)) return true;
        return TASK_VERB.test(text) && analyzeSentence(sentence) === undefined;
      });
      const bare = (group: CueSentence[]): boolean =>
        group.every((item) => item.cue.kind === 'prohibition') &&
        !group.some((item) => {
          const standing = isChineseClause(item.quote) ? ZH_STANDING : EN_DURABLE;
          return standing.test(item.quote.toLowerCase()) || PROHIBITION_REASON.test(item.quote);
        });
      for (const group of groups) {
        if (asks && bare(group)) continue;
        const proposal = withReplacement(toProposal(group, turn.index));
        proposals.push(
          answered === undefined || proposal.content.includes(answered)
            ? proposal
            : withPath(proposal, answered),
        );
      }
      const standing = sentences.filter((_sentence, position) => !voided.has(position));
      const terse = groups.length === 0 ? terseContrast(standing, turn.entries) : undefined;
      if (terse) proposals.push(toProposal([terse], turn.index));
      if (groups.length === 0 && !terse) {
        const acknowledged = acknowledgedRule(standing, turn.entries);
        if (acknowledged) proposals.push(toProposal([acknowledged], turn.index));
      }
    }
  }
  return proposals;
}

/** "… in this repo …", "这个仓库的 …": a statement about this repository as a whole. */
const EN_REPO_SCOPE =
  /\b(in|of|for|across|throughout) (this|our) (repo|repository|project|codebase|monorepo|service|app)\b/i;
const ZH_REPO_SCOPE = /(这个|本|咱们|我们)(的)?(仓库|项目|代码库|服务|repo)(里|中|里面|的|下)?/i;
/** "我们前端的环境变量都以 VITE_APP_ 开头": "our …" opening the statement names the team's own code. */
const ZH_OUR_SCOPE = /^(咱们|我们)(的)?\s?[\u4e00-\u9fffA-Za-z]{1,8}?的/;
const SCOPED_WISH =
  /\b(wish|if only|would be nice|would love|hope|hoping|ought to|should really|used to|supposed to|impossible|can't|cannot)\b|希望|但愿|要是|如果|就好了|本来|应该/i;
const ACTIONABLE =
  // … a dotfile (`.env.development`), a SCREAMING_SNAKE name or prefix (`VITE_APP_`), a URL …
  /(^|\s)\.[\w-]+(\.[\w-]+)*\b|\b[A-Z][A-Z0-9]*_[A-Z0-9_]*|https?:\/\/\S+|[\w.-]*\/[\w./-]+|`[^`]+`|\b[\w-]+\.(ts|tsx|js|mjs|py|rb|go|rs|java|kt|php|yml|yaml|json|toml|xml|ini|cfg|conf|md|sql|sh|lock)\b|(^|\s)--?[a-z][\w-]+|\b[A-Z_]{3,}=|\b[a-z]+[A-Z]\w*\b|\b[A-Z][a-z]+[A-Z]\w*\b|\bv?\d+\.\d+/;
const SCOPED_STATE =
  /\b(forever|broken|slow|flaky|flakes?|times? out|timed out|fails?|failing|crash\w*|bugs?|issues?|errors?|happens?|problems?|regress\w*|nobody|no one|last time|yesterday|took|takes? (ages|long|minutes|hours))\b|没人|半小时|很慢|太慢|老是|上次|昨天|挂|报错|问题|出现/i;
/** "only ever", "always", "只", "一律": what holds every time, not once. */
const EN_HABIT = /\b(only ever|only|always|never|exclusively|every time|each time|without exception)\b/i;
const ZH_HABIT = /只|都|一律|统一|从来|全部|始终|每次/;

/**
 * A statement scoped to this repository that says what always holds there, whatever its verb:
 * "the notebooks in this repo only ever read from the parquet snapshot at /mnt/lake/…", "这个项目里
 * 前端只调 /api/v2 的接口". Not a question, a request or a statement of the moment.
 */
function scopedHabit(sentence: Sentence): CueSentence | undefined {
  const start = fillerLength(sentence.masked);
  const text = sentence.masked.slice(start).trim();
  const chinese = isChineseClause(text);
  const scoped = chinese
    ? (ZH_REPO_SCOPE.test(text) || ZH_OUR_SCOPE.test(text)) && ZH_HABIT.test(text)
    : EN_REPO_SCOPE.test(text) && EN_HABIT.test(text);
  if (!scoped || /[?？]/.test(text)) return undefined;
  if (
    chinese
      ? ZH_QUESTION.test(text) || ZH_ASKS.test(text) || ZH_NOW.test(text)
      : EN_QUESTION_START.test(text.toLowerCase())
  )
    return undefined;
  if (
    TASK_VERB.test(text) ||
    (!chinese && (EN_MOMENTARY.test(text.toLowerCase()) || EN_HEDGE.test(text.toLowerCase())))
  )
    return undefined;
  if (chinese ? ZH_HEDGE.test(text) || text.replace(/\s/g, '').length < 8 : text.split(/\s+/).length < 6)
    return undefined;
  // "I wish we always used strict mode in this repo", "要是这个仓库都用 TS 就好了": not how things are.
  if (
    SCOPED_WISH.test(text) ||
    EN_HYPOTHETICAL.test(text.toLowerCase()) ||
    ZH_HYPOTHETICAL.test(text) ||
    complains(text)
  )
    return undefined;
  // Something a future agent can act on (a path, a flag, a file, an identifier), and no complaint
  // about speed or breakage: "the tests in this repo always take forever" is no lesson.
  if (!ACTIONABLE.test(sentence.text) || SCOPED_STATE.test(text)) return undefined;
  const content = cleanClause(sentence.text.slice(start)).trim();
  if (content === '') return undefined;
  return {
    cue: { kind: 'fact', confidence: 0.7 },
    quote: sentence.text,
    content: chinese ? content : capitalizeFirst(content),
    words: contentWords(content),
  };
}

/** A lead that hands the agent something to keep: "just so you know,", "FYI", "跟你说下，". */
const ANNOUNCE =
  /(?:^|[\s,;:，；：.。])(?:(?:but |and )?(?:just )?so you know|fyi|for your information|for context|heads[- ]up|keep in mind(?: that)?|bear in mind(?: that)?|note that|good to know)\b\s*[,:：，-]?\s*|(?:跟|和|给)你(?:说|讲)(?:一)?下\s*[，,：:]?\s*|(?:提醒|说明|补充)(?:你)?一下\s*[，,：:]\s*|你要知道\s*[，,：:]?\s*/gi;

const ANNOUNCED_STANDING =
  /\b(always|never|only|every|each|all|nightly|daily|weekly|hourly|by default|must|can'?t|cannot|mustn'?t)\b|一律|统一|都|只|每天|每晚|默认|必须|不能/i;

/**
 * A statement handed over with a lead ("small thing, but just so you know, a change in this repo
 * isn't finished until ./gradlew detekt lintDebug is clean", "跟你说下，我们这个项目 mapper 的 xml 在
 * …", "FYI staging 嘅 API base URL 係 https://…"): what follows the lead is meant to be kept, whatever
 * its wording, when it reads as a statement (as a pointer's statement does) and names something to
 * act on (a path, a URL, a command, an identifier).
 */
function announcedStatement(sentence: Sentence): CueSentence | undefined {
  let end = -1;
  for (const match of sentence.masked.matchAll(ANNOUNCE)) end = (match.index ?? 0) + match[0].length;
  if (end < 0) return undefined;
  const rest = { text: sentence.text.slice(end), masked: sentence.masked.slice(end) };
  // Something to act on (a path, a command, an identifier) or a standing word ("a nightly copy … so
  // the smoke tests can't assume it's empty"): not news of the day.
  if (rest.masked.trim() === '' || !(ACTIONABLE.test(rest.text) || ANNOUNCED_STANDING.test(rest.masked)))
    return undefined;
  // "just so you know, I pushed a fix to src/app.ts", "跟你说下，我刚把配置改了": news of something
  // done, not how things are.
  if (
    /^\s*(i|we|you)('ve| have| had)? (just |already )?(\w+ed|did|made|put|got|went|wrote|ran|set|sent|broke|built|took|left|found)\b/i.test(
      rest.masked,
    ) ||
    /^\s*我们?(刚|刚刚|已经|昨天|今天)?把.*了/.test(rest.masked)
  )
    return undefined;
  // "FYI this PR touches …", "fyi the logs are in /tmp/run.log", "my laptop only has 8GB": today's
  // change, where today's output is, one person's machine.
  const lower = rest.masked.toLowerCase();
  if (
    EN_DEICTIC.test(lower) ||
    EN_MOMENTARY.test(lower) ||
    /\/tmp\/|\b(the )?(logs?|output|screenshot|trace|stack ?trace|diff|error)( is| are)? (in|at|here|below|above)\b/.test(
      lower,
    ) ||
    /\bmy (laptop|machine|computer|box|pc|mac|setup|workstation)\b|我的电脑|我电脑|本机/.test(lower)
  )
    return undefined;
  // "fyi, src/legacy is going away next quarter": a plan, not how things are.
  if (
    EN_PROGRESSIVE.test(lower.replace(/(\w)'(re|s|m)\b/g, "$1 '$2")) ||
    /\bgoing (away|to)\b|\bnext (quarter|year|month|week|sprint|release)\b|\bsoon\b|要下线|快要|下个(月|季度|版本)/.test(
      lower,
    )
  )
    return undefined;
  // "FYI the API returns 500 when the cart is empty": a bug report, not how things should be.
  if (
    /\b[45]\d\d\b|\b(returns?|throws?|gives?|shows?) (null|undefined|nan|an? (error|exception))\b/i.test(
      rest.masked,
    )
  )
    return undefined;
  // "FYI the build is broken again": a state of the moment is no lesson.
  if (SCOPED_STATE.test(rest.masked) && !/\b(until|unless|only when|only if)\b|才算/.test(rest.masked))
    return undefined;
  // A cue of its own after the lead ("builds here always run with …") is read as usual.
  return analyzeSentence(rest) ?? pointedStatement(rest);
}

/** The old way dropped: "that's void now", "the old X rule is gone", "forget the old thing about …". */
const REPLACED =
  /作废|不算了|不再(用|这样)|(规矩|规定|约定|流程|做法|那条|这条)[^，。,]{0,4}(不用了|取消了|不要了)|\bwe used to\b|\bforget the old\b|\bthe old( [\w-]+){0,2} (rule|thing|way|convention|flow|process|policy|script|setup)\b|\bwe (dropped|stopped|ditched|no longer|don'?t \w+ any ?more)\b|\b(rule|way|flow|process|policy|convention|requirement|workflow)s? (is|are) (gone|dropped|dead)\b/i;
/** A sentence that says how things are now: "these days it's …", "now we …", "现在 …". */
const NOW_LEAD =
  /^(?:(?:and|but|so)\s+)?(?:these days|nowadays|now)\b[,\s]*|^(?:现在|如今|目前起|从现在起)[，,\s]*/i;

/** The whole sentence as the way things are now, when it opens with "now" and reads as a statement. */
/** The part of a sentence from its "now" clause on ("…不用了，现在 CI 会自动打 tag" → "现在 CI …"). */
function nowClause(sentence: Sentence): CueSentence | undefined {
  const at = sentence.masked.search(
    /[,，;；]\s*(?:(?:and|but|so)\s+)?(?:these days|nowadays|now\b|现在|如今)/i,
  );
  if (at < 0) return undefined;
  const from = at + 1;
  return nowStatement({ text: sentence.text.slice(from).trim(), masked: sentence.masked.slice(from).trim() });
}

function nowStatement(sentence: Sentence): CueSentence | undefined {
  const start = fillerLength(sentence.masked);
  const lead = NOW_LEAD.exec(sentence.masked.slice(start).trimStart());
  if (!lead) return undefined;
  const text = sentence.masked.slice(start).trim();
  const chinese = isChineseClause(text);
  if (/[?？]/.test(text) || (chinese ? ZH_QUESTION.test(text) : EN_QUESTION_START.test(text.toLowerCase())))
    return undefined;
  const after = text.slice(lead[0].length);
  // "now let's look at the failing test", "现在帮我…": the next task, not the new way.
  if (
    TASK_VERB.test(after) ||
    /^(let['’]?s|let us|can you|could you|please|go ahead|we need to|i need)\b|^(咱们|我们来|你来|帮我|麻烦)/i.test(
      after,
    ) ||
    (chinese ? ZH_ASKS.test(text) : false) ||
    DATED.test(text)
  )
    return undefined;
  if (chinese ? text.replace(/\s/g, '').length < 8 : text.split(/\s+/).length < 5) return undefined;
  const content = cleanClause(sentence.text.slice(start)).trim();
  if (content === '') return undefined;
  return {
    cue: { kind: 'rule', confidence: 0.7 },
    quote: sentence.text,
    content: chinese ? content : capitalizeFirst(content),
    words: contentWords(content),
  };
}

/** A day, a deadline or a sprint: what holds until then is no lesson. */
const DATED =
  /\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|next (week|month|sprint)|this (week|month|sprint)|by eod|end of (day|week))\b|周[一二三四五六日天]|星期|礼拜|下周|本周|这周|月底|截止/i;

/** A sentence that only points back at what was just said: "remember that", "记一下", "都按这个来". */
const EN_POINTER =
  /^(?:(?:ok|okay|so|and|pls|please)[,\s]+)*(?:remember|note|keep in mind|memori[sz]e|save|write down|don'?t forget) (?:that|this|it)\b(?:\s+(?:down|for (?:next time|later|the future)|please|pls))*(?:\s*[,;]?\s*(?:so|because)\b.*)?[.!]*$/i;
const ZH_POINTER =
  /^(?:好|好的|对|嗯)?[，,\s]*(?:(?:记一下|记住|记着|记下来|记好了)(?:这个|这条|哈|啊)?|(?:以后|之后|今后)?(?:你)?(?:帮我[^，。]{0,12}?)?都?(?:按|照)(?:这个|这样|这些|这条)(?:来|写|做|弄))[。！!.]*$/;

function pointsBack(sentence: Sentence): boolean {
  const text = sentence.masked.trim();
  return EN_POINTER.test(text) || ZH_POINTER.test(text);
}

/**
 * The statement a pointer names, when it reads as one: declarative (no question, no task asked of
 * the agent, nothing of the moment), long enough to be a lesson, and without a cue of its own.
 */
function pointedStatement(before: Sentence): CueSentence | undefined {
  if (reportsHearsay(before) || analyzeSentence(before) !== undefined) return undefined;
  const start = fillerLength(before.masked);
  const text = before.masked.slice(start).trim();
  const chinese = isChineseClause(text);
  if (/[?？]/.test(text) || (chinese ? ZH_QUESTION.test(text) : EN_QUESTION_START.test(text.toLowerCase())))
    return undefined;
  if (TASK_VERB.test(text) || (chinese ? ZH_ASKS.test(text) || ZH_NOW.test(text) : EN_MOMENTARY.test(text)))
    return undefined;
  // "we're releasing on friday. remember that": a date to keep in mind, not a lesson about the repo.
  if (DATED.test(text)) return undefined;
  if (chinese ? text.replace(/\s/g, '').length < 8 : text.split(/\s+/).length < 5) return undefined;
  // "另外说一下我的习惯：…", "our convention:": the lead names the kind of lesson, the rest is it.
  const lead = /^[^：:]{0,12}?(习惯|约定|规矩|规定|convention|habit|rule)\s*[：:]\s*/i.exec(
    before.text.slice(start),
  );
  const content = cleanClause(before.text.slice(start + (lead?.[0].length ?? 0))).trim();
  if (content === '') return undefined;
  const personal = lead !== null && /我的|\bmy\b/i.test(lead[0]);
  return {
    cue: { kind: personal ? 'preference' : 'fact', confidence: 0.7 },
    quote: before.text,
    content: chinese ? content : capitalizeFirst(content),
    words: contentWords(content),
  };
}

/**
 * A clause opening with a hedge or a suggestion, after an optional "from now on": "之后或许可以把 …",
 * "以后不如 …", "going forward maybe we …". Read on the reading form, so 或許 and 也許 are 或许 and 也许.
 */
const HEDGE_OPENING =
  /^((以后|将来|今后|之后|后面|from now on|going forward|in (the )?future|later( on)?|eventually)\s*(的话)?\s*[,，]?\s*)?(也许|或许|可能|大概|说不定|不如|要不(要|然|我们|咱们)?|我在想|我想了想|maybe|perhaps|possibly|probably|might|i'm not sure|im not sure|not sure|i doubt|i wonder|我不确定|不确定|i was thinking|i've been thinking|what about|how about)/;

/** A clause that gives the reason or the risk of a rule ("otherwise the build might break", "不然可能会挂"). */
const REASON_CLAUSE =
  /^(otherwise|or else|else|because|since|as|so that|in case|which|unless|or|and (your|the|it|they)|(they|it|that|this|your|the) [\w' ]*\b(might|may|could|will|would)\b)|^(不然|否则|要不然|以免|免得|因为|所以|这样|省得)/;
/**
 * The claim of a sentence without the reason or risk that follows it: "always run lint before
 * pushing because CI might reject it" → "always run lint before pushing".
 */
function claimOf(sentence: string): string {
  const cut =
    /\s*[,;]?\s*\b(otherwise|or else|because|since|so that|in case)\b|\s*[,;]\s*(they|it|that|your|the)\b[^,;]*\b(might|may|could|will|would)\b|[，,；;]\s*(不然|否则|要不然|以免|免得|因为)/i.exec(
      sentence,
    );
  return cut && cut.index > 0 ? sentence.slice(0, cut.index) : sentence;
}

/**
 * True when the person hedges the claim itself: a hedge in the first clause ("I think the DB is on
 * 5433, …"), in a short clause of its own (", I think", "，我不太确定") or in a "but …" qualification;
 * not in a clause giving the rule's reason or risk ("…, otherwise the build might break") and not
 * in "if possible" (可能的话, 尽可能).
 */
function hedged(sentence: string): boolean {
  const text = claimOf(sentence).replace(
    /可能的话|尽可能|不可能|if possible|as (soon|much|little|few|many) as possible/gi,
    '',
  );
  const clauses = text.split(/\s*(?:[,;:，；：]|\s[—–-]\s)\s*/).filter((clause) => clause.trim() !== '');
  return clauses.some((clause, position) => {
    const trimmed = clause.trim();
    // A clause that opens with its hedge is hedged wherever it stands ("我在想，之后或许可以把 … 都搬到
    // …", "…, maybe we should move …"): the idea is the clause itself.
    if (HEDGE_OPENING.test(trimmed)) return true;
    if (!EN_HEDGE.test(trimmed) && !ZH_HEDGE.test(trimmed)) return false;
    if (position === 0) return true;
    if (REASON_CLAUSE.test(trimmed)) return false;
    const size = hasCjk(trimmed) ? trimmed.replace(/\s/g, '').length / 2.5 : trimmed.split(/\s+/).length;
    return size <= 5 || /^(but|though|although|tho|不过|但是|但)/.test(trimmed);
  });
}

/** Asking to keep something said or done earlier in the session ("刚才那个办法帮我记下来"). */
const BACK_NOTE_ZH =
  /(刚才|刚刚|之前|前面|上面)[^。！？!?]{0,20}(记下来|记住|记一下|记着|记录下来|记到)|(记下来|记住|记一下|记着)[^。！？!?]{0,4}(刚才|刚刚|之前|前面|上面)/;
const BACK_NOTE_EN =
  /\b(remember|note down|write down|save|keep|make a note of)\b[^.?!]{0,40}\b(earlier|just now|from before|a minute ago|above)\b/i;
/** "this pattern", "这种写法": the thing shown in today's question. */
const DEICTIC_PATTERN =
  /这种(写法|用法|方式|做法|模式)|这样(写|用)的|\b(this|that|such a) (pattern|construct|idiom)\b|\blike this\b/i;

/**
 * Sentences that teach nothing whatever cue they hold: hedged or someone else's view (the sentence),
 * undecided (the sentence and the one before, which it qualifies), withdrawn (everything before).
 * Read on the masked text: a quoted "maybe" is not the person hedging.
 */
export function voidedSentences(sentences: readonly Sentence[]): Set<number> {
  const voided = new Set<number>();
  const asks = sentences.some((sentence) => /[?？]|想确认|确认一下|是否|\bwhether\b/i.test(sentence.masked));
  sentences.forEach((sentence, position) => {
    // "刚才那个证书的办法帮我记下来": a request to keep something from earlier in the session points
    // at that lesson (learned when it happened); its own words are not one.
    // "我们在 X.xml 里有这种写法，想确认一下…": what "this pattern" is, is today's question.
    if (
      BACK_NOTE_ZH.test(sentence.masked) ||
      BACK_NOTE_EN.test(sentence.masked) ||
      (asks && DEICTIC_PATTERN.test(sentence.masked))
    ) {
      voided.add(position);
      return;
    }
    const masked = sentence.masked;
    const lower = masked.toLowerCase().replace(/[’‘]/g, "'");
    if (EN_RETRACTION.test(lower) || ZH_RETRACTION.test(masked)) {
      for (let index = 0; index <= position; index += 1) voided.add(index);
      return;
    }
    if (EN_UNDECIDED.test(lower) || ZH_UNDECIDED.test(masked)) {
      voided.add(position);
      if (position > 0) voided.add(position - 1);
      return;
    }
    if (
      hedged(lower) ||
      EN_TEMPORARY.test(lower) ||
      ZH_TEMPORARY.test(masked) ||
      EN_OTHERS_NAMED.test(masked) ||
      EN_OTHERS.test(masked) ||
      ZH_OTHERS.test(masked)
    )
      voided.add(position);
  });
  return voided;
}

/**
 * "The flag is in config/flags.yaml and in a migration. Which one is live?" — "the yaml. flags moved
 * out of the DB last year": a short answer that picks a path the agent named; the path completes the
 * lesson stated after it.
 */
function answeredPath(sentences: readonly Sentence[], reply: string): string | undefined {
  const pick = /^(?:the|use the|it's the|in the)\s+([\w.-]{2,20})(?:\s+(?:one|file))?[.!]?$/i.exec(
    sentences[0]?.masked.trim() ?? '',
  );
  if (!pick || !/[?？]\s*$/.test(reply.trim())) return undefined;
  const word = (pick[1] ?? '').toLowerCase().replace(/\.+$/, '');
  const paths = [...reply.matchAll(/`?((?:[\w.@-]+\/)+[\w.@-]+\.\w+|[\w@-]+\.\w{2,5})`?/g)].map(
    (match) => match[1] ?? '',
  );
  const chosen = paths.filter((path) => path.toLowerCase().includes(word));
  return chosen.length === 1 ? chosen[0] : undefined;
}

function withPath(proposal: Proposal, path: string): Proposal {
  return {
    ...proposal,
    content: `${proposal.content.replace(/[.。]\s*$/, '')}; the live one is ${path}.`,
    sourcePaths: [...proposal.sourcePaths, path],
  };
}

/**
 * "swap the moment call for dayjs — we don't use moment anywhere in this repo anymore": a rule
 * against X beside a request to replace X with Y says what to use instead.
 */
function withReplacement(proposal: Proposal): Proposal {
  const swap =
    /\b(?:swap|replace|switch|migrate|change|move)\w*\s+(?:the\s+|all\s+|every\s+|our\s+)?([\w.@/-]+)\b(?:[^—;,.]|\.(?=\w)){0,60}?\b(?:for|with|to)\s+`?([\w@/-]+(?:\.\w+)*)/i.exec(
      proposal.evidence.quote,
    );
  if (!swap || proposal.kind !== 'preference') return proposal;
  const [, from = '', to = ''] = swap;
  const lower = proposal.content.toLowerCase();
  if (from.length < 3 || !lower.includes(from.toLowerCase()) || lower.includes(to.toLowerCase()))
    return proposal;
  const content = `${proposal.content.replace(/[.。]\s*$/, '')}; use ${to} instead.`;
  return { ...proposal, content };
}

/**
 * "task, not make. Taskfile since spring." — a terse correction naming the tool to use, borne out by
 * the agent running that tool in the same turn: the message (when short) is the lesson.
 */
function terseContrast(
  sentences: readonly Sentence[],
  entries: Transcript['turns'][number]['entries'],
): CueSentence | undefined {
  const words = sentences.reduce((total, sentence) => total + sentence.text.split(/\s+/).length, 0);
  if (words > 20) return undefined;
  const first = sentences[0];
  const contrast = first
    ? /^`?([\w.@/-]+)`?,?\s+not\s+`?([\w.@/-]+)`?[.!]?$/i.exec(first.masked.trim())
    : null;
  if (!first || !contrast) return undefined;
  const tool = (contrast[1] ?? '').toLowerCase();
  const ran = entries.some(
    (entry) => entry.kind === 'tool_call' && entry.input.trim().toLowerCase().startsWith(`${tool} `),
  );
  if (!ran) return undefined;
  const rest = sentences
    .slice(1)
    .map((sentence) => sentence.text.replace(/[.。!]+$/, ''))
    .join('; ');
  const [use = '', not = ''] = [contrast[1], contrast[2]].map((word) => (word ?? '').replace(/\.+$/, ''));
  const content = `Use ${use}, not ${not}${rest === '' ? '' : `: ${rest}`}`;
  return {
    cue: { kind: 'rule', confidence: 0.7 },
    quote: sentences.map((sentence) => sentence.text).join(' '),
    content,
    words: contentWords(content),
  };
}

/** A sentence that is only a path and "now": where something lives after a move. */
const PATH_NOW = /^`?[\w.@-]*\/[\w./@-]*`?\s+(now|these days|from now on)\b[.!]?$/i;
const MOVED = /\b(moved|relocated|renamed|migrated)\b|搬|挪|迁/i;

function capitalizeFirst(text: string): string {
  return text.replace(/^[a-z]/, (char) => char.toUpperCase());
}

/** A reason that makes a prohibition a standing one: "they get overwritten", "it's generated", "因为 …". */
const PROHIBITION_REASON =
  /[,，;；—–-]\s*(they|it|that|those|these)('re|'s| are| is| get| gets)\b|\b(because|since|generated|overwritten|vendored|owned by|third[- ]party|upstream|anything|everything|any|every|all)\b|因为|所有|任何|不然|否则|生成的|会被覆盖/i;

/** Verbs that open a task for the agent (a request, not a rule). */
const TASK_VERB =
  /^(fix|add|name|call|write|implement|create|make|update|rename|refactor|remove|delete|move|run|build|deploy|check|look|investigate|debug|help|can|could|please|try|bump|upgrade|install|set up|setup|change|extract|split|merge|open|close|review|explain|show|find|print|tell|give|get|start|stop|restart|revert|undo|commit|push|publish|release|migrate|generate|test|lint|format|clean|port|convert|translate)(?![a-z])|^(帮我|帮忙|给我|把|请帮)/i;

/** The agent's reply promising to keep doing something: "I'll … from now on", "之后…都会". */
const EN_ACK =
  /\b(from now on|going forward|in (the )?future|i'll always|i will always|i'll make sure to always|noted[,.]? i'll|will do[,.]? i'll)\b/i;
const ZH_ACK = /(以后|之后|今后|往后)[^。！]{0,20}(都会|会|都)|记下了|记住了/;

/**
 * A rule the person stated without a cue word that the agent's reply acknowledges as standing
 * ("spec files end in _spec.rb here" → "I'll name spec files *_spec.rb from now on"): the reply is
 * supporting evidence, the person's sentence is the lesson. The sentence must share a specific
 * word (an identifier, a path, a name ≥ 4 letters) with the acknowledgement.
 */
function acknowledgedRule(
  sentences: readonly Sentence[],
  entries: Transcript['turns'][number]['entries'],
): CueSentence | undefined {
  const replies = entries
    .filter((entry) => entry.kind === 'assistant')
    .map((entry) => (entry.kind === 'assistant' ? entry.text : ''));
  const ack = replies
    .flatMap((reply) => splitSentences(reply))
    .find((sentence) => EN_ACK.test(sentence.text) || ZH_ACK.test(sentence.text));
  if (ack === undefined) return undefined;
  const ackWords = [...contentWords(ack.text)].filter(
    (word) => word.length >= 4 || /[_./-]/.test(word) || hasCjk(word),
  );
  let best: { sentence: Sentence; shared: number } | undefined;
  for (const sentence of sentences) {
    const text = sentence.masked.trim();
    if (/[?？]/.test(text) || text.length < 8 || text.length > 300) continue;
    const lower = text.toLowerCase();
    if (
      EN_QUESTION_START.test(lower) ||
      EN_HYPOTHETICAL.test(lower) ||
      ZH_HYPOTHETICAL.test(text) ||
      EN_MOMENTARY.test(lower)
    )
      continue;
    const words = contentWords(sentence.text);
    const shared = ackWords.filter(
      (word) => words.has(word) || [...words].some((other) => other.includes(word) || word.includes(other)),
    ).length;
    if (shared >= 2 && (best === undefined || shared > best.shared)) best = { sentence, shared };
  }
  if (best === undefined) return undefined;
  // Of the sentence, the clause that carries the shared words ("name it X, spec files end in _spec.rb here").
  const clauses = best.sentence.text.split(/,\s+|，/).filter((clause) => clause.trim().length >= 8);
  const clause =
    clauses
      .map((text) => ({ text, shared: ackWords.filter((word) => contentWords(text).has(word)).length }))
      .sort((a, b) => b.shared - a.shared)[0]?.text ?? best.sentence.text;
  const content = cleanClause(clause.slice(fillerLength(clause)));
  // "fix the flaky test" + "From now on I will always …": the agent's own idea, not the person's rule.
  if (TASK_VERB.test(content)) return undefined;
  return {
    cue: { kind: 'rule', confidence: 0.65 },
    quote: best.sentence.text,
    content,
    words: contentWords(content),
  };
}

/** A rule that ends in a prohibition ("… 是生成的，别手改"): what to do instead may follow. */
const HOLDS_PROHIBITION =
  /(别|不要|不能|禁止)[^，。]{0,6}$|[，,]\s*(别|不要|不能|禁止)|\b(don't|do not|never)\b/i;

function isFollowUp(sentence: Sentence): boolean {
  const text = sentence.masked.trim().toLowerCase();
  return (
    /\b(instead|rather)\b/.test(text) ||
    /^(改|用|换成|跑|执行)/.test(text) ||
    /(改成|换成|而是)/.test(text) ||
    // "don't reach for pandas … stdlib csv only in this repo": what to use, without a verb.
    /^[\w.@/-]+(?: [\w.@/-]+){0,2} only\b(?: (?:in this (?:repo|repository|project|codebase)|here))?[.!]*$/.test(
      text,
    ) ||
    /^只(用|能用)/.test(text)
  );
}

function sharesTopic(left: Set<string>, right: Set<string>): boolean {
  for (const a of left) {
    if (a.length < 4 && !hasCjk(a)) continue;
    for (const b of right) {
      if (b.length < 4 && !hasCjk(b)) continue;
      if (a === b || (!hasCjk(a) && !hasCjk(b) && (a.includes(b) || b.includes(a)))) return true;
    }
  }
  return false;
}

/** The cue of a sentence, or undefined when it is not a lesson. */
function analyzeSentence(sentence: Sentence): CueSentence | undefined {
  if (!/[A-Za-z\u4e00-\u9fff]/.test(sentence.masked.replace(/_/g, ''))) return undefined;
  if (sentence.text.includes('[REDACTED')) return undefined;
  if (sentence.text.length > 400) return undefined; // a pasted paragraph, not a stated rule
  const whole = sentence.masked.trim();
  // "Could you make it a habit to run X before …?" asks for a standing habit, it is not a question.
  const habit =
    /^(?:(?:ok(?:ay)?|so|also|and|btw|hey),?\s+)?(could|can|would|will) you (please )?(make it a habit to|always|remember to|get in the habit of|start)\s+/i.exec(
      whole,
    );
  if (habit) {
    const rest = sentence.text.slice(habit[0].length).replace(/[?？]\s*$/, '.');
    return {
      cue: { kind: 'rule', confidence: 0.75 },
      quote: sentence.text,
      content: rest,
      words: contentWords(rest),
    };
  }
  if (/[?？]\s*$/.test(whole) || /[?？]/.test(whole.replace(/_+/g, ''))) return undefined;
  // "日志里是：", "the browser just shows:": a sentence ending in a colon leads into what was pasted.
  if (/[:：]\s*$/.test(whole)) return undefined;
  const clauses: Array<{
    text: string;
    masked: string;
    mid: boolean;
    consequence?: boolean;
    personal?: boolean;
  }> = [{ text: sentence.text, masked: sentence.masked, mid: false }];
  const opening = sentence.text.slice(fillerLength(sentence.masked)).trim();
  // "commit message 统一用英文": in a Chinese sentence an English noun first ("commit", "test") is
  // a topic, not a task verb; only a Chinese request (帮我, 把 …) opens a task.
  const startsWithTask = isChineseClause(sentence.masked)
    ? /^(帮我|帮忙|给我|把|请帮)/.test(opening)
    : TASK_VERB.test(opening);
  // "I read this on my phone, so keep answers short": a rule drawn from a statement (not from a task).
  const statement = !startsWithTask && !/\b(can|could|would|will) you\b/i.test(sentence.masked);
  // "quick orientation: the API lives in services/api" — the cue may follow a colon.
  const colon = /：\s*|:\s+/.exec(sentence.masked);
  if (colon && colon.index > 0) {
    const from = colon.index + colon[0].length;
    if (from < sentence.masked.length) {
      const after = { text: sentence.text.slice(from), masked: sentence.masked.slice(from), mid: false };
      // "since you keep asking: staging is …": a short lead without a cue of its own only announces.
      const head = sentence.masked.slice(0, colon.index);
      const announces = head.trim().split(/\s+/).length <= 6 && analyzeClause(head, head) === undefined;
      if (announces) clauses.unshift(after);
      else clauses.push(after);
    }
  }
  // "write the parser, and please stop pulling in moment.js": a rule after a task, in a later clause.
  // Casual Chinese separates clauses with spaces ("太慢了 快两分钟 以后你也这样 别跑 …").
  const breaks =
    /(,\s+(?:and |but |so |also |plus )?|\s+[—–]\s+|\s+-\s+|;\s+|[，；]\s*|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff]))/g;
  for (const match of sentence.masked.matchAll(breaks)) {
    const from = (match.index ?? 0) + match[0].length;
    // A consequence of a state of the moment ("we're migrating next month, so don't …") is of the moment.
    const head = sentence.masked.slice(0, match.index ?? 0).toLowerCase();
    const consequence =
      statement &&
      /\bso\s*$/.test(match[0]) &&
      !EN_STATE.test(head) &&
      !EN_PROGRESSIVE.test(head.replace(/(\w)'(re|s|m)\b/g, "$1 '$2"));
    // A clause opened by a dash ends at the closing dash ("— we don't use moment here — and then …").
    const dashed = /[—–]\s*$/.test(match[0]);
    const close = dashed ? sentence.masked.slice(from).search(/\s+[—–]\s+/) : -1;
    const to = close > 0 ? from + close : sentence.masked.length;
    // "I'm on Windows, so give me PowerShell commands": an instruction after a statement about the
    // person (who they are, what they use) is how to work with them, from now on.
    const personal =
      PERSONAL_HEAD.test(head.slice(fillerLength(head)).trim()) &&
      !EN_STATE.test(head) &&
      !EN_MOMENTARY.test(head) &&
      !/\b(busy|tired|late|away|out|off|in a (meeting|hurry|rush)|about to|going to|trying to)\b/.test(head);
    if (from < sentence.masked.length - 3)
      clauses.push({
        text: sentence.text.slice(from, to),
        masked: sentence.masked.slice(from, to),
        mid: true,
        consequence: consequence || personal,
        personal,
      });
  }
  // "这个仓库模块多，…，只测一个模块用 `mvn -pl x -am test` 就行": a sentence about the repository makes its
  // later clauses stand as the repository's, like 以后 or 一律 would.
  const repositoryScope =
    isChineseClause(sentence.masked) &&
    /(这个|本|我们的?|咱们的?)(仓库|项目|代码库|repo)/i.test(sentence.masked);
  // "we never remember to update the changelog and it's a scramble", "每次都被前端同事追着问": a
  // complaint tells how things go; only a clause of it addressed to the agent is a rule.
  const venting = complains(sentence.masked);
  for (const [position, clause] of clauses.entries()) {
    const own = clause.mid ? clause.masked : (clause.masked.split(breaks)[0] ?? clause.masked);
    if ((venting || describesWaiting(own)) && !directive(own, clause.consequence === true)) continue;
    const analyzed = analyzeClause(
      clause.text,
      clause.masked,
      clause.mid && !(repositoryScope && isChineseClause(clause.masked)),
      clause.consequence,
      clause.personal,
    );
    // The instruction keeps the statement that gives its reason: "I'm on Windows, so give me PowerShell".
    const found =
      analyzed && clause.personal
        ? { ...analyzed, content: sentence.text.slice(fillerLength(sentence.masked)).trim() }
        : analyzed;
    // "这个接口太慢了，都要三秒，帮我看看": a clause of a sentence that asks for a task stands only with a
    // standing word (以后, 一律, 每次 …), not with 都 alone.
    if (
      found &&
      clause.mid &&
      isChineseClause(clause.masked) &&
      (ZH_ASKS.test(sentence.masked) ||
        ZH_MOMENTARY.test(sentence.masked.slice(0, Math.max(0, sentence.masked.indexOf(clause.masked)))) ||
        ZH_STATE_BEFORE.test(
          sentence.masked.slice(0, Math.max(0, sentence.masked.indexOf(clause.masked))),
        )) &&
      !ZH_STANDING.test(found.content)
    )
      continue;
    if (!found) continue;
    // "name it x_spec.rb, spec files end in _spec.rb here": the task clause is not part of the rule.
    if (position === 0 && startsWithTask) {
      const later = clauses
        .slice(1)
        .map((other) => analyzeClause(other.text, other.masked, other.mid, other.consequence))
        .find((other) => other !== undefined);
      // "lint is `pnpm lint`, run it before you push": the later rule points back at the first clause.
      if (later && /^(?:\w+ ){1,2}(it|them|that|this|those)\b/i.test(later.content)) {
        return { ...found, cue: later.cue, quote: sentence.text, words: contentWords(found.content) };
      }
      if (later) return { ...later, quote: sentence.text, words: contentWords(later.content) };
      // A task with a constraint somewhere in it ("帮我改成 async，不要动测试"): a rule only if it stands.
      const durable = isChineseClause(clause.masked) ? ZH_STANDING : EN_DURABLE;
      // "Commit messages should be …": a noun phrase and its verb is a statement, not an imperative.
      const declarative = /^(?:[\w./@-]+ ){1,3}(must|should|need to|have to|are|is)\b/i.test(
        clause.masked.slice(fillerLength(clause.masked)).trim(),
      );
      const stands = declarative || durable.test(clause.masked.toLowerCase());
      if (found.cue.kind !== 'fact' && !stands) return undefined;
    }
    // "the tests read REDIS_URL, and on dev machines redis is on 6380 for this repo": a fact after a
    // short statement of the same kind keeps it.
    const lead = sentence.text.slice(0, Math.max(0, sentence.text.indexOf(clause.text)));
    if (
      clause.mid &&
      found.cue.kind === 'fact' &&
      statement &&
      position > 0 &&
      lead.trim().split(/\s+/).length <= 8 &&
      /^(the |our )?[\w./@-]+( [\w./@-]+)? (read|reads|use|uses|need|needs|run|runs|expect|expects|talk to|talks to)\b/i.test(
        lead.slice(fillerLength(lead)).trim(),
      )
    ) {
      const content = cleanClause(
        sentence.text.slice(fillerLength(sentence.masked)).replace(/\s*\([^)]*\)/g, ''),
      );
      return { ...found, content, quote: sentence.text, words: contentWords(content) };
    }
    // "我自己都是只跑改动的包 以后你也这样": "这样" needs the clause before it.
    const previous = clauses[position - 1];
    const pointsBack = /这样|这么(做|办|来)|照(这个|此)/.test(found.content);
    if (clause.mid && previous && pointsBack && previous.text.endsWith(clause.text)) {
      const head = previous.text.slice(0, previous.text.length - clause.text.length);
      const before = cleanClause(head.replace(/[\s，,；;]+$/, ''));
      const content = `${before}，${found.content}`;
      return { ...found, content, quote: sentence.text, words: contentWords(content) };
    }
    return { ...found, quote: sentence.text, words: contentWords(found.content) };
  }
  return undefined;
}

/** Something failing again and again, in Chinese ("一直报错", "老是 connection refused"). */
const ZH_KEEPS_FAILING =
  /(一直|老是|总是|经常|又)[^，。,；]{0,12}(报错|错误|失败|挂|超时|连不上|起不来|不行|崩|不够|不足|太慢|很慢|卡|满了|爆了|refused|error|timeout|timed out|fail|OOM)/i;

/** Someone failing to do something ("we never remember to …", "大家老是忘了 …"): a lapse, not a rule. */
const EN_LAPSE =
  /\b(we|i|everyone|everybody|people|the team|nobody|no one|devs|developers)\b[^.,;]{0,24}?\b(never remember|always forget|keep forgetting|kept forgetting|forgets?|forgot|keep missing|never get around to)\b|\b(nobody|no one)( ever)? \w+s\b/i;
const ZH_LAPSE =
  /(我们|大家|我|咱们|团队|他们|同事|老是|总是|经常|常常|每次)[^，。,；]{0,8}(忘记|忘了|忘掉|漏掉|漏了)/;
/** How the person feels about it: venting. */
const EN_AFFECT =
  /^(honestly,? |seriously,? )?whoever\b|\bshould be (banned|fired|ashamed|shot)\b|\b(painful|annoying|annoyed|a pain|a scramble|a mess|a nightmare|drives? me (crazy|nuts)|sucks|frustrat\w+|tedious|ugh+|sigh|so tired of|sick of|killing me|infuriating|a chore)\b/i;
const ZH_AFFECT =
  /好烦|烦死|太烦|很烦|真烦|烦人|麻烦死|头疼|头大|受不了|心累|好累|吐槽|无语|郁闷|痛苦|折腾死|动不动就|太[\u4e00-\u9fff]{1,3}了/;
/** Something that happens to them ("被前端追着问", "被测试卡住"). */
const ZH_PASSIVE = /被[^，。,；]{0,16}(追着|催|骂|卡|坑|吐槽|投诉|打回|占用|占着)/;

/** True when a sentence complains: a lapse, a feeling, something done to them. */
function complains(masked: string): boolean {
  return (
    EN_LAPSE.test(masked) ||
    EN_AFFECT.test(masked) ||
    ZH_LAPSE.test(masked) ||
    ZH_AFFECT.test(masked) ||
    ZH_PASSIVE.test(masked)
  );
}

/** How long something takes or waits ("every PR sits for 40 minutes", "CI 每次都要跑 20 分钟"). */
const WAITING =
  /\b(waits?|waiting|sits?|takes?|took|hangs?|stuck)\b[^.;]{0,40}\b(\d+|a few|half an?|an?) ?(minutes?|mins?|hours?|hrs?|seconds?|secs?)\b|\b(\d+|a few|half an?|an?) ?(minutes?|mins?|hours?|hrs?)\b[^.;]{0,20}\b(waiting|to (run|finish|build|start))\b|\bforever\b|\bages\b|(等|跑|要|花)[^，。,；]{0,6}(\d+ ?(分钟|小时)|半小时|半天|好久|很久|一个小时)/i;

/** A clause describing waiting that states no rule: how things go. */
function describesWaiting(masked: string): boolean {
  return WAITING.test(masked) && !/\b(should|must|need to|has to|have to)\b|应该|必须|不能/.test(masked);
}

/** A clause addressed to the agent (an imperative, "you", a standing word) rather than a description. */
function directive(masked: string, consequence: boolean): boolean {
  const text = masked.slice(fillerLength(masked)).trim().toLowerCase();
  if (isChineseClause(text))
    return /你|以后|今后|往后|请|记得|别(?![的人处家])|不要|务必|一律|统一|禁止|不允许|不准|不许|必须|一定要|只能/.test(
      text,
    );
  return (
    consequence ||
    /\b(you|your)\b|\b(from now on|going forward|whenever)\b|\b(before|after) \w+ing\b/.test(text) ||
    /^(please |pls |so |and )?(always|never|don't|do not|make sure|remember to|use|run|add|keep|put|avoid|stop|prefer|write)\b/.test(
      text,
    )
  );
}

/** Words that make a rule in the middle of a sentence a standing one, not part of today's task. */
const EN_DURABLE =
  /\b((in|for) (anything|everything|whatever) you (write|do|generate|produce|send|make)|(for|with) (this|that) (kind|sort|type) of (thing|stuff|code|work)|always|never|for (every|each) (single )?[\w-]+|stop \w+ing|anymore|any more|ever|generally|in general|as a rule|for anything|anything (bigger|larger|smaller|longer|more|over|above|under|beyond)|in (this|the|our) (repo|repository|project|codebase|service|package|module|app|crate)|we (use|moved|switched)|from now on|going forward|every time|each time|whenever|by default|before (you )?(commit|committing|push|pushing|merg\w*|open\w* a pr|deploy\w*|releas\w*|ship\w*|publish\w*))\b/;

/** The state of the moment, not a standing fact: "broken again", "by tomorrow". */
const EN_STATE =
  /\b(is|are|was|were|got|keeps?|seems?) (broken|failing|down|red|flaky|stuck|slow|hanging|timing out|wrong|off|incorrect|missing|outdated|stale)\b|\bagain\b|\b(tomorrow|tonight|yesterday|asap|by (monday|tuesday|wednesday|thursday|friday|eod|end of (the )?day|the end of the week))\b|^i (want|need) (this|that|it)\b|\b(users|customers|clients|people) (are|keep) \w+ing\b|\b(next|this) (week|month|year|sprint|quarter|release)\b|\b(in|for) (that|this) case\b|\bbut (the|it|that|this|they|then)\b.{0,40}\b(loops?|breaks?|fails?|crash\w*|hangs?|errors?|times out|doesn't|does not|won't|isn't|never)\b/;
/** A task or a state of the moment in Chinese: "把这个 bug 修一下", "先看看日志", "我把配置放在 … 了". */
const ZH_TASK_OR_STATE =
  /把[^，。]{0,20}一下|先看看|帮我|帮忙|麻烦你|^我把|把这个|把那个|刚才|刚刚|又(挂|坏|失败|报错)|(挂了|坏了|失败了|报错了)|明天|今晚|昨天|继续|接着|(一直|正|还)在[\u4e00-\u9fff]|越来越|都在等|在等着?|等着|(都|正)在(休假|请假|出差|放假|开会)/;

/** Chinese words that make a rule in the middle of a sentence a standing one. */
const ZH_DURABLE =
  /(以后|今后|往后|永远|一律|统一|始终|总是|每次|任何|所有|都|从来|一直|再也|仓库|项目|代码库|目录|文件夹|[\w-]+\/[\w./-]*)/;

/** A Chinese sentence that asks for something to be done or looked at now. */
const ZH_ASKS = /帮我|帮忙|看看|看一下|查一下|是不是|麻烦你/;

/** Stronger: what makes a constraint inside a task ("帮我改成 async，以后都别用 any") a standing rule. */
const ZH_STANDING = /(以后|今后|往后|永远|一律|始终|每次|任何|所有|从来|再也|这个(仓库|项目|代码库)[里中]?)/;

/** True when a text has enough Chinese to be read with the Chinese cues. */
function isChineseClause(text: string): boolean {
  // "API response 统一用 camelCase": a short Chinese core between English nouns is still Chinese.
  return hasCjk(text.slice(0, 4)) || (text.match(/[\u4e00-\u9fff]/g) ?? []).length >= 3;
}

function analyzeClause(
  text: string,
  masked: string,
  mid = false,
  consequence = false,
  personal = false,
): { cue: Cue; content: string; personal?: boolean } | undefined {
  const offset = fillerLength(masked);
  const rest = masked.slice(offset).trim();
  let content = text.slice(offset).trim();
  if (rest === '') return undefined;
  const lower = rest.toLowerCase().replace(/[’‘]/g, "'");
  const chinese = isChineseClause(rest);
  const whenYou = !chinese && /^(when|whenever) (you|i) \w+/.test(lower);
  if (chinese) {
    // "我习惯先看 diff 再决定要不要提交。" holds an embedded question, it is not one.
    const declarative = /[。！!.]\s*$/.test(rest) && !/[吗呢么][\s。!！]*$/.test(rest);
    if ((!declarative && ZH_QUESTION.test(rest)) || ZH_HYPOTHETICAL.test(rest) || ZH_IDIOM.test(rest))
      return undefined;
    // "一直 connection refused", "老是超时": a failure that keeps happening is a problem report.
    if (ZH_KEEPS_FAILING.test(rest) && !directive(rest, false)) return undefined;
    // "别加那个 legacy provider": a prohibition about the thing just discussed is today's decision.
    if (/^(别|不要|不用)[^，。,；]{0,4}(那个|这个|那些|这些)/.test(rest) && !ZH_STANDING.test(rest))
      return undefined;
  } else if (
    // "what we do instead: run maven with …" states the way, it does not ask.
    (EN_QUESTION_START.test(lower) &&
      !whenYou &&
      !/^what we do (instead|here|now|these days)\s*[:：]/.test(lower)) ||
    (EN_HYPOTHETICAL.test(lower) && !IF_YOU_FOR_ME.test(lower)) ||
    EN_IDIOM.test(lower)
  ) {
    return undefined;
  }
  // "For integration tests we never mock the database": the cue follows a topic phrase.
  const topical = chinese
    ? undefined
    : /^(for|in|on|with|during|inside|within) [^,]{1,40}?,? (?=(we|you|i)\b)/.exec(lower);
  const variants = topical ? [lower, lower.slice(topical[0].length)] : [chinese ? rest : lower];
  let best: Cue | undefined;
  let bestPattern: RegExp | undefined;
  for (const rule of chinese ? ZH_CUES : EN_CUES) {
    if (
      variants.some((variant) => rule.pattern.test(variant)) &&
      (best === undefined || rule.confidence > best.confidence)
    ) {
      best = { kind: rule.kind, confidence: rule.confidence };
      bestPattern = rule.pattern;
    }
  }
  let fromPerson = false;
  if (best === undefined && personal && !chinese && PERSONAL_INSTRUCTION.test(lower)) {
    best = { kind: 'preference', confidence: 0.7 };
    fromPerson = true;
  }
  if (best === undefined) return undefined;
  if (bestPattern === WISH_FOR_YOU && !EN_DURABLE.test(lower)) return undefined;
  if (
    !chinese &&
    (EN_NOT_A_RULE.test(lower) ||
      (EN_WISH_ABOUT_ONE.test(lower) && !EN_DURABLE.test(lower) && !/\b(every|each|any|all)\b/.test(lower)))
  )
    return undefined;
  if (mid && !chinese && best.kind !== 'fact' && !EN_DURABLE.test(lower) && !consequence) return undefined;
  // "帮我重构一下，不要改接口": a constraint on today's task, unless it says it stands (以后, 一律, 都 …)
  // or is about the repository (这个仓库, a path).
  if (mid && chinese && best.kind !== 'fact' && !ZH_DURABLE.test(rest)) return undefined;
  if (
    !chinese &&
    /\b(might|may|could|maybe|perhaps|wish|hope)\b/.test(claimOf(lower)) &&
    best.kind !== 'fact'
  )
    return undefined;
  if (
    !chinese &&
    best.kind === 'fact' &&
    // "we no longer use that helper": a fact about the thing in front of us is today's.
    (EN_DEICTIC.test(claimOf(lower)) ||
      EN_OPINION.test(lower) ||
      EN_PROGRESSIVE.test(lower.replace(/(\w)'(re|s|m)\b/g, "$1 '$2")) ||
      (EN_PROBLEM.test(lower) && !/\b(otherwise|or else|unless|without)\b/.test(lower)))
  )
    return undefined;
  // "don't change the public API, just fix the helper": a constraint on today's task.
  const standingScope = EN_DURABLE.test(lower) || /\b(every|each|any|all)\b/.test(lower);
  if (
    best.kind === 'prohibition' &&
    !standingScope &&
    (/,\s*(just|only|simply)\b/.test(lower) || /[，,]\s*(只|就)(修|改|动|做)/.test(rest))
  )
    return undefined;
  if (!chinese && /^(don't|do not|dont) forget to\b/.test(lower) && !EN_DURABLE.test(lower)) return undefined;
  // "we always get this weird CPU spike", "I keep hitting this timeout": what happens, not a practice.
  if (
    !chinese &&
    (/^(we|i|you)( always| usually| often| sometimes| constantly| still| keep)+ (get|getting|got|see|seeing|hit|hitting|run into|running into|end up|lose|losing|have (this|that|the|a|an|some)|forget|mix up)\b/.test(
      lower,
    ) ||
      // "our release branch always gets merge conflicts": the same of a thing.
      /^(?:the |our |this |that )?[\w./@-]+(?: [\w./@-]+){0,2} (always|usually|often|constantly|keeps?) (gets?|getting|hits?|runs? into|ends? up|loses?|breaks?|fails?|times? out)\b/.test(
        lower,
      ))
  )
    return undefined;
  // "日志在下面", "截图在这里": where the person put something just now, not where it lives.
  if (chinese && best.kind === 'fact' && /在(下面|上面|这里|这儿|那里|附件|截图|群里|聊天)/.test(rest))
    return undefined;
  // "我们一直用的是 npm 吧": a guess, not a statement.
  if (chinese && /吧[\s。!！.]*$/.test(rest) && best.kind === 'fact') return undefined;
  const standing = DEFINITION_OF_DONE.test(lower) || /\bfrom now on\b/.test(lower);
  // A state of the moment ("our build is broken again", "I need this done by tomorrow") or a task
  // ("咱们把这个 bug 修一下", "我把配置放在 … 了") is not a fact or a rule to keep.
  const ofTheMoment = chinese
    ? ZH_TASK_OR_STATE.test(rest) && !ZH_STANDING.test(rest) && !/记得|都要|都得/.test(rest)
    : EN_STATE.test(lower.split(/,\s*(?:so|because|since|which|otherwise)\b/)[0] ?? lower) && !standing;
  if (ofTheMoment) return undefined;
  // "咱们这边今天先别部署了": a statement about today or this time is no fact about the repository.
  if (chinese && best.kind === 'fact' && ZH_NOW.test(rest)) return undefined;
  // "I'd rather you didn't touch that today": an English preference can be of the moment too.
  if (best.kind === 'rule' || best.kind === 'prohibition' || (best.kind === 'preference' && !chinese)) {
    const momentary = chinese
      ? ZH_MOMENTARY.test(rest)
      : (EN_MOMENTARY.test(lower) && !standing) || EN_DEICTIC.test(lower);
    if (momentary || (!chinese && EN_ONE_OFF_OBJECT.test(lower))) return undefined;
    if (!chinese && EN_CHOICE_ABOUT_ONE.test(lower) && !EN_DURABLE.test(lower)) return undefined;
  }
  if (!chinese && lower.split(/\s+/).length < 3 && !/^(be|stay) \w+/.test(lower)) return undefined;
  // "…, so you don't need to": the clause stops before its verb; there is no rule in it.
  if (!chinese && /\b(to|the|a|an|of|for|with)$/.test(lower.replace(/[\s.!,;:]+$/, ''))) return undefined;
  // "remember that for next time": it points back at a lesson, it is not one.
  if (
    !chinese &&
    /^(remember|note|save|keep|write down|memori[sz]e) (that|this|it|these|those)( down)?( for (next time|later|the future))?[.!]*$/.test(
      lower.trim(),
    )
  )
    return undefined;
  if (
    !chinese &&
    /^(remember|note|save|write down|keep) (how|what) we (fixed|did|solved|changed)\b/.test(lower)
  )
    return undefined;
  if (chinese && /^(把)?(刚才|之前|前面|上面)(的)?(解决办法|办法|修复|做法|处理)/.test(rest))
    return undefined;
  if (chinese && rest.replace(/\s/g, '').length < 4) return undefined;
  // "the way we do it here: every migration …" — the lead-in is not part of the lesson.
  const lead =
    /^(the way we do (it|this|things)( here| in this repo)?|what we do (instead|here|now|these days)|here'?s how we do (it|this|things)( here)?|our (convention|rule|process|workflow|policy|practice) (here )?is|the (convention|rule|policy|practice) (here )?is|house rule)\s*[:：-]?\s*/i.exec(
      content,
    ) ??
    /^(quick |general |golden |house |one )?(rule of thumb|rule|convention|policy|principle|guideline|note for (later|the future|future reference)|for future reference|good to know|worth knowing|pro tip)s?\b[^:]{0,40}:\s*/i.exec(
      content,
    );
  if (
    lead &&
    (bestPattern?.source.startsWith('^(the way we do') || bestPattern?.source.startsWith('^(quick |general'))
  ) {
    const after = content.slice(lead[0].length).trim();
    // "the way we do this is kind of dumb": the lead is the subject of an opinion, not a lead.
    if (after.length < 8 || /^(is|are|was|were|seems|feels|looks)\b/i.test(after)) return undefined;
    content = after;
  } else if (bestPattern?.source.startsWith('^(the way we do')) {
    // "the way we do DB access here is everything goes through …": the topic stays, the lead goes.
    const named =
      /^the way we do ([a-z][\w-]*(?: [a-z][\w-]*){0,2}) (?:here|in this repo) (?:is\b|:)\s*/i.exec(content);
    if (named) {
      const rest = content.slice(named[0].length).trim();
      // "the way we do releases here is weird": an opinion, not the way.
      if (!(
        ACTIONABLE.test(rest) ||
        /\b(always|never|every|everything|all|only|through|via|goes|go)\b/i.test(rest)
      ))
        return undefined;
      content = `${capitalizeFirst(named[1] ?? '')}: ${rest}`;
    }
  }
  // "it's `zig build test -Doptimize=ReleaseSafe`, that's how we always run them": the command is the
  // lesson, said as the way (whatever "it" was resolved to).
  if (bestPattern?.source.startsWith('`[^`]{4,}`')) {
    const named =
      /`([^`]{4,})`,? (?:that'?s|this is|which is|is) (?:how|the way) we (?:always |usually |normally |all )?(\w+)/i.exec(
        content,
      );
    if (named) content = `${capitalizeFirst(named[2] ?? 'run')} with \`${named[1] ?? ''}\``;
  }
  // "remember: X" / "记住：X" — the marker is not part of the lesson.
  const marker =
    /^(remember|note|important|reminder|keep in mind|请记住|记住|记得|注意|记一下|记下|备注一下|备注)(\s*(this|that|这个|这一点|这条|一下))?\s*[:：]\s*/i.exec(
      content,
    );
  return {
    cue: best,
    content: marker ? content.slice(marker[0].length) : content,
    ...(fromPerson ? { personal: true } : {}),
  };
}

function fillerLength(masked: string): number {
  let offset = 0;
  for (let guard = 0; guard < 6; guard += 1) {
    const rest = masked.slice(offset);
    const trimmed = rest.length - rest.trimStart().length;
    const match = EN_FILLER.exec(rest.trimStart()) ?? ZH_FILLER.exec(rest.trimStart());
    if (!match || match[0].length === 0) break;
    offset += trimmed + match[0].length;
  }
  return offset;
}

/**
 * `user` for the person's way of working (first person, answers, tone, language, git habits
 * "for me"), `global` for the repository (the default: a rule about code or tools). A stated fact
 * ("we use Postgres 15", "这个服务的日志都打到 Loki") is about the repository unless it is about
 * the person.
 */
export function scopeOf(text: string, factOnly = false): 'user' | 'global' {
  const lower = text.toLowerCase();
  if (FIRST_PERSON_EN.test(lower) || FIRST_PERSON_ZH.test(text)) return 'user';
  if (factOnly) return 'global';
  if (USER_TOPIC_EN.test(lower) || USER_TOPIC_ZH.test(text)) return 'user';
  if (GLOBAL_TOPIC_EN.test(lower) || GLOBAL_TOPIC_ZH.test(text)) return 'global';
  // A rule about the code or the tools is the repository's unless it is about the person.
  return 'global';
}

function toProposal(group: CueSentence[], turn: number): Proposal {
  const cleaned = group.map((item) => cleanClause(item.content));
  // Chinese once the lead-ins are gone ("记得 run lint before push" is an English rule).
  const chinese = cleaned.some((text) => isChineseClause(text));
  const content = writeContent(cleaned.join(chinese ? '' : ' '), chinese);
  const quote = clip(group.map((item) => item.quote).join(' '), MAX_QUOTE);
  const kinds = new Set(group.map((item) => item.cue.kind));
  const confidence = Math.min(
    0.95,
    Math.max(...group.map((item) => item.cue.confidence)) + (group.length > 1 ? 0.05 : 0),
  );
  const paths = [
    ...new Set(
      content
        .split(/\s+/)
        .map((token) => token.replace(/^[`'"(（]+|[`'",.;:)）。，]+$/g, ''))
        .filter((token) => token.includes('/') && isPathLike(token) && !/^https?:/.test(token)),
    ),
  ];
  const factOnly = kinds.has('fact') && kinds.size === 1;
  const forMe = /\bfor me\b|\bmy behalf\b|\bto me\b/i.test(content);
  // "我们组的规范是 commit message 用英文": a team's convention is the repository's, whatever its topic.
  const team =
    /\b(we|our|team)\b|我们|咱们|团队|组里|组的/i.test(quote) &&
    !FIRST_PERSON_EN.test(content.toLowerCase()) &&
    !FIRST_PERSON_ZH.test(content);
  const scope = forMe ? 'user' : team && !factOnly ? 'global' : scopeOf(content, factOnly);
  return {
    kind: factOnly ? 'fact' : 'preference',
    family: 'memory_updates',
    scope,
    summary: writeTitle(content, chinese, scope, factOnly),
    content,
    sourcePaths: paths,
    evidence: { turn, quote },
    confidence: round(confidence),
  };
}

/** Chat lead-ins and time markers that say nothing once the rule is written down. */
const EN_LEAD =
  /^((one|a|my) (standing |general |small )?(request|rule|ask|thing|note) for (always|good|the future|next time|later)( though)?|for (always|good|the future)( though)?|from now on|going forward|moving forward|from here on( out)?|henceforth|in (the )?future|for the record|for context|for future reference|just so you know|fyi|btw|heads[- ]up|remember( to| that)?|don't forget to|do not forget to|make sure (to|that)|note that|keep in mind( that)?|bear in mind( that)?|please|pls|and|also|so|but|ok(ay)?)\b[\s,:;.!—–-]*/i;
/** A first clause that only announces what follows ("just a heads-up for future tasks:"). */
const EN_LEAD_CLAUSE =
  /^(just )?(a )?(quick |small |little )?(heads[- ]up|orientation|note|reminder|fyi|context|background|pointer|tip)\b[^,:;.]{0,40}[,:;—–-]\s+/i;
const ZH_LEAD =
  /^((?:你|您)?以后都?|(?:你|您)?今后都?|往后|从现在(开始|起)|从今(天)?(以后|开始|起)|请你?|请记住|记住|记得|记一下|记下|另外|还有|对了|哦对|顺便|麻烦你?|注意|提醒一下|(顺便|另外|再)?(说|提|插|补充)(一句|一下)|补充)[\s，,：:。]*/;

/** A clause without its chat lead-ins ("for the record,", "以后"). */
function cleanClause(text: string): string {
  // "…, 比如 fix(coupon): …", "…, e.g. …": the example is not part of the rule.
  const example = /\s*[,，]\s*(比如|例如|譬如|e\.g\.|for example|for instance)[\s\S]*$/i;
  let result = text.trim().replace(example, '');
  const convention = /^[^，。]{0,10}?(规范|约定|规矩|惯例|规定)(是|就是|[：:])\s*/.exec(readingForm(result));
  if (convention && result.length - convention[0].length >= 6) result = result.slice(convention[0].length);
  const announce = EN_LEAD_CLAUSE.exec(result);
  if (announce && result.length - announce[0].length >= 12) result = result.slice(announce[0].length);
  for (let guard = 0; guard < 4; guard += 1) {
    // Read in the simplified form ("以後", "請"), cut from the person's own text.
    const zh = ZH_LEAD.exec(readingForm(result.replace(EN_LEAD, '')));
    const next = result
      .replace(EN_LEAD, '')
      .slice(zh?.[0].length ?? 0)
      .trim();
    if (next === result || next.length < 4) break;
    result = next;
  }
  return result;
}

/** The content sentence: capitalized, ending with a full stop, never with ";" or ",". */
function writeContent(text: string, chinese: boolean): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  // A path, an identifier or a command opening the sentence keeps its case (`internal/api/gen`).
  // A Chinese sentence keeps an English word that opens it as written ("staging 的数据库…").
  const literal = /^[^\s]*[/._:=@`]|^[a-z]+[A-Z]/.test(flat) || (chinese && hasCjk(flat));
  let result = (literal ? flat : capitalize(flat))
    .replace(
      /([.!?]\s+)([a-z])(?=[a-z]*\s)/g,
      (_all, end: string, char: string) => `${end}${char.toUpperCase()}`,
    )
    .replace(/[\s;,:；，：、—–-]+$/, '');
  if (!/[.!。！)）`]$/.test(result)) result += chinese ? '。' : '.';
  return result;
}

const EN_TOPICS: ReadonlyArray<[RegExp, string]> = [
  [/\bcommit messages?\b|\bconventional commits?\b/i, 'Commit messages'],
  [/\bpr (description|title)s?\b|\bpull requests?\b/i, 'Pull requests'],
  [/\b(force-push|commit|push|branch|rebase|merge|squash)\w*\b/i, 'Git workflow'],
  [/\b(answers?|repl(y|ies)|respond|responses?|explanations?|summar\w*|tone|emojis?)\b/i, 'Answer style'],
  [/\bmigrations?\b/i, 'Migrations'],
  [/\bgenerated\b|\bcodegen\b/i, 'Generated code'],
  [/\b(deploy\w*|staging|production|prod|release\w*)\b/i, 'Deployment'],
  [/\b(tests?|specs?|mocks?|tdd|rspec|pytest|jest|vitest)\b/i, 'Testing'],
  [/\b(pnpm|npm|yarn|bun)\b/i, 'Package manager'],
  [/\b(lint\w*|format\w*|indent\w*|spaces|tabs)\b/i, 'Code style'],
  [/\b(exports?|imports?|dependenc\w*|librar\w*)\b/i, 'Code conventions'],
  [/\b(lives?|located|folder|directory|moved)\b/i, 'Project layout'],
];
const ZH_TOPICS: ReadonlyArray<[RegExp, string]> = [
  [/提交信息|commit message/i, '提交信息'],
  [/PR|合并请求/, 'PR 约定'],
  [/提交|分支|推送|合并/, 'Git 约定'],
  [/回复|回答|解释|总结|语气/, '回复方式'],
  [/pnpm|npm|yarn|包管理/i, '包管理器'],
  [/迁移|migration/i, '数据库迁移'],
  [/生成|codegen|proto/i, '生成代码'],
  [/部署|发版|上线|生产|线上/, '部署'],
  [/测试|单测|test/i, '测试'],
  [/注释|格式|缩进|风格|大写|小写/, '代码风格'],
  [/接口|API|网关/i, '接口约定'],
  [/目录|仓库|项目|都在|放在/, '项目结构'],
];

/**
 * A written title: the rule's first clause when it is short and not the whole content, else a
 * topic label with the clause ("Git workflow: never force-push to shared branches").
 */
function writeTitle(content: string, chinese: boolean, scope: 'user' | 'global', fact: boolean): string {
  const body = content.replace(/[.。!！]+$/, '');
  const parts = chinese
    ? body.split(/[，；：,;:。]/)
    : body.split(/[,;:—–]\s|\.\s|\s\(|\s(?:so|because|since|as|otherwise|or else)\s/);
  let first = parts[0]?.trim() ?? body;
  // "When you run rspec for me, pass --fail-fast": a subordinate clause needs its main clause.
  if (
    !chinese &&
    /^(when|whenever|if|before|after|once|while|for|in)\b/i.test(first) &&
    parts[1] !== undefined
  )
    first = `${first}, ${parts[1].trim()}`;
  const topics = chinese ? ZH_TOPICS : EN_TOPICS;
  const topic =
    topics.find(([pattern]) => pattern.test(content))?.[1] ??
    (chinese
      ? fact
        ? '项目事实'
        : scope === 'user'
          ? '偏好'
          : '项目约定'
      : fact
        ? 'Project fact'
        : scope === 'user'
          ? 'Preference'
          : 'Repository rule');
  // A Chinese clause holding a command keeps the command whole (up to 60 characters).
  const short = shorten(first, chinese ? (/[A-Za-z]{2}/.test(first) ? 60 : 30) : 100, chinese);
  const flatEqual = (a: string, b: string): boolean =>
    a.toLowerCase().replace(/[\W_]+/g, '') === b.toLowerCase().replace(/[\W_]+/g, '');
  const title = flatEqual(short, body)
    ? `${topic}${chinese ? '：' : ': '}${chinese ? short : lowerFirst(short)}`
    : short;
  return title.replace(/[\s;,:；，：、—–-]+$/, '');
}

/** At most `max` characters, cut at a word (or, in Chinese, a clause) boundary, never with "…". */
function shorten(text: string, max: number, chinese: boolean): string {
  if (text.length <= max) return text;
  if (chinese) return text.slice(0, max);
  const words = text.split(/\s+/);
  let result = '';
  for (const word of words) {
    if ((result ? `${result} ${word}` : word).length > max) break;
    result = result ? `${result} ${word}` : word;
  }
  // Do not end on a dangling connective.
  return (
    result.replace(/\s+(and|or|to|the|a|an|of|in|on|with|for|by|so|but|that|when|if)$/i, '') ||
    text.slice(0, max)
  );
}

function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

function capitalize(text: string): string {
  return text.replace(/^[a-z]/, (char) => char.toUpperCase());
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
