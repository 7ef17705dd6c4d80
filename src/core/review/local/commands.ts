/**
 * Lessons from the shell commands of a session (tool calls with exit codes):
 *
 * - a build/test/lint/typecheck/install command failed and a *different* command of the same
 *   kind then succeeded → "in this repo, run X" (a global memory update);
 * - a command failed with a recognizable error, something was changed (files patched, a fixing
 *   command run), then the same command succeeded → "error E was fixed by …" (a recall candidate).
 *
 * Tool output is only ever used as evidence for these two lessons: an instruction found in a
 * tool's output never becomes a preference, and error lines that read like instructions are
 * ignored.
 */
import { patchedFiles, SHELL_TOOL_NAMES } from '../transcript.js';
import type { Transcript } from '../types.js';
import { MAX_QUOTE, type Proposal } from './proposal.js';
import { clip, contentWords, isPathLike } from './text.js';
import { toolResults } from './tool-results.js';

/** What a command does, as far as lessons are concerned. */
export type CommandCategory =
  | 'services'
  | 'test'
  | 'lint'
  | 'typecheck'
  | 'build'
  | 'install'
  | 'format'
  | 'check'
  | 'migrate'
  | 'generate';

/** One shell command of the session with its result. */
export interface CommandRun {
  turn: number;
  /** Position in the whole session, to order runs and patches. */
  order: number;
  command: string;
  exitCode: number | undefined;
  output: string;
}

/** One apply_patch of the session. */
export interface PatchRun {
  turn: number;
  order: number;
  files: string[];
  /** The apply_patch body (for the change a fix made). */
  body: string;
}

/** Shell commands and patches of a transcript, in order. */
export interface SessionActions {
  commands: CommandRun[];
  patches: PatchRun[];
}

/** Collects shell runs (paired with their outputs by call id) and patches. */
export function collectActions(transcript: Transcript): SessionActions {
  const commands: CommandRun[] = [];
  const patches: PatchRun[] = [];
  let order = 0;
  for (const turn of transcript.turns) {
    const resultAt = toolResults(turn.entries);
    turn.entries.forEach((entry, position) => {
      if (entry.kind !== 'tool_call') return;
      order += 1;
      if (entry.name === 'apply_patch') {
        const files = patchedFiles(entry.input);
        if (files.length > 0) patches.push({ turn: turn.index, order, files, body: entry.input });
        return;
      }
      if (!SHELL_TOOL_NAMES.has(entry.name)) return;
      const result = resultAt(position);
      const output = result?.output ?? '';
      commands.push({
        turn: turn.index,
        order,
        command: entry.input.trim(),
        // A test run that exits 0 having run nothing ("5 skipped", "no tests ran") did not pass.
        exitCode: result?.exitCode === 0 && ranNoTest(entry.input, output) ? 5 : result?.exitCode,
        output,
      });
    });
  }
  return { commands, patches };
}

/** The summary of a test run that ran nothing: everything skipped, nothing collected. */
const NOTHING_RAN =
  /^[=\s]*(\d+ skipped(, \d+ (warnings?|deselected))* in [\d.]+m?s|no tests ran\b|collected 0 items|no tests? (were )?found|tests: +0 total|ran 0 tests|0 passing\b)/im;

/** True when a test command exited 0 without running a test (the run did not pass). */
function ranNoTest(command: string, output: string): boolean {
  if (output.length > 200_000 || !NOTHING_RAN.test(output) || /\b[1-9]\d* (passed|passing)\b/.test(output))
    return false;
  const durable = durableCommand(command);
  return durable !== undefined && categoryOf(durable) === 'test';
}

// ---------------------------------------------------------------------------------------------
// Command anatomy

/** Splits a command line into `&&`/`;`/`|`-separated segments of whitespace tokens (quotes respected). */
function segments(command: string): string[][] {
  const result: string[][] = [];
  let current: string[] = [];
  let token = '';
  let quote: string | undefined;
  const flushToken = (): void => {
    if (token !== '') current.push(token);
    token = '';
  };
  const flushSegment = (): void => {
    flushToken();
    if (current.length > 0) result.push(current);
    current = [];
  };
  for (let index = 0; index < command.length; index += 1) {
    const char = command[index] ?? '';
    if (quote) {
      if (char === quote) quote = undefined;
      else token += char;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '&' && command[index + 1] === '&') {
      flushSegment();
      index += 1;
    } else if (char === ';' || char === '|' || char === '\n') {
      if (command[index + 1] === '|') index += 1;
      flushSegment();
    } else if (/\s/.test(char)) flushToken();
    else token += char;
  }
  flushSegment();
  return result;
}

/** Tokens of the segment that does the work (not `cd`, `source`, `export`, env assignments). */
function mainSegment(command: string): string[] {
  const parts = segments(command).filter(
    (segment) => !/^(cd|source|\.|export|set|nvm|pushd|popd)$/.test(segment[0] ?? ''),
  );
  const categorized = [...parts].reverse().find((segment) => categoryOfTokens(segment) !== undefined);
  const chosen = categorized ?? parts.at(-1) ?? [];
  return chosen.filter((token, index) => !(index === 0 && /^[A-Z_][A-Z0-9_]*=/.test(token)));
}

const RUNNER_PREFIXES = new Set([
  'npx',
  'pnpx',
  'bunx',
  'exec',
  'run',
  'bundle',
  'poetry',
  'uv',
  'pipenv',
  'hatch',
  'dlx',
]);
const PACKAGE_MANAGERS = new Set(['npm', 'pnpm', 'yarn', 'bun']);
/** Language toolchains whose sub-command says what a run does (`deno test`, `composer lint`). */
const TOOLCHAINS = new Set([
  'deno',
  'composer',
  'php',
  'swift',
  'flutter',
  'dart',
  'sbt',
  'lein',
  'stack',
  'cabal',
  'zig',
  'rails',
  'gleam',
  'melos',
  'elixir',
  'crystal',
  'nimble',
  'scala-cli',
  'xcodebuild',
]);

function categoryOfTokens(tokens: readonly string[]): CommandCategory | undefined {
  const words = tokens.filter((token) => !token.startsWith('-')).map((token) => token.toLowerCase());
  const first = words[0];
  if (first === undefined) return undefined;
  const has = (...names: string[]): boolean => words.some((word) => names.includes(word));
  const scriptLike = (pattern: RegExp): boolean => words.some((word) => pattern.test(word));
  if (first === 'go')
    return words[1] === 'test'
      ? 'test'
      : words[1] === 'build'
        ? 'build'
        : words[1] === 'vet'
          ? 'lint'
          : undefined;
  // `docker compose -f compose.dev.yml up -d`, `docker-compose up`: starting the local services.
  if ((first === 'docker' && words[1] === 'compose') || first === 'docker-compose')
    return words.includes('up') ? 'services' : undefined;
  if (first === 'cargo') {
    const sub = words[1] ?? '';
    if (['test', 'nextest'].includes(sub)) return 'test';
    if (sub === 'build') return 'build';
    if (sub === 'clippy') return 'lint';
    if (sub === 'check') return 'typecheck';
    if (sub === 'fmt') return 'format';
    return undefined;
  }
  if (first === 'python' || first === 'python3') {
    if (words[1] === 'manage.py' && words[2] === 'test') return 'test';
    if (has('pytest', 'unittest', 'tox', 'nox')) return 'test';
    if (has('mypy', 'pyright')) return 'typecheck';
    if (has('ruff', 'flake8', 'pylint')) return 'lint';
    return undefined;
  }
  if (
    PACKAGE_MANAGERS.has(first) ||
    RUNNER_PREFIXES.has(first) ||
    [
      'make',
      'just',
      'task',
      'rake',
      'mix',
      'gradle',
      './gradlew',
      'gradlew',
      './mvnw',
      'mvnw',
      'mvn',
      'dotnet',
      'bazel',
      'turbo',
      'nx',
    ].includes(first)
  ) {
    // `yarn workspace @acme/web build`, `pnpm --filter web build`: skip the workspace selector.
    const selectors = new Set<number>();
    tokens.forEach((token, index) => {
      if (['workspace', '--filter', '-F', '--workspace', '-w', '--scope', '--project'].includes(token)) {
        selectors.add(index);
        selectors.add(index + 1);
      }
    });
    const rest = tokens
      .filter((token, index) => !selectors.has(index) && !token.startsWith('-'))
      .map((token) => token.toLowerCase())
      .slice(1)
      .filter((word) => !RUNNER_PREFIXES.has(word) && !PACKAGE_MANAGERS.has(word));
    if (
      PACKAGE_MANAGERS.has(first) &&
      (rest[0] === 'install' || rest[0] === 'i' || rest[0] === 'ci' || rest[0] === 'add')
    ) {
      // `pnpm add zod` installs one package (a one-off); a bare install sets the project up.
      return rest.length === 1 ? 'install' : undefined;
    }
    if (['bundle'].includes(first) && rest[0] === 'install') return rest.length === 1 ? 'install' : undefined;
    if (['make', 'just', 'task'].includes(first) && rest.length === 0) return 'build';
    // `npx nx test @orbit/api`, `pnpm turbo run lint`: the monorepo runner's task names the run.
    while (['nx', 'turbo', 'lerna'].includes(rest[0] ?? '') || (rest[0] === 'run' && rest.length > 1))
      rest.shift();
    const target = rest[0] ?? (PACKAGE_MANAGERS.has(first) ? '' : first);
    return categoryOfName(target);
  }
  // A toolchain's own sub-command (`deno task test`, `composer test`, `swift test`, `php artisan test`,
  // `bin/rails test`, `npx nx test web`): the sub-command names what the run does.
  // A binary under a `bin/` folder (`bin/rails`, `./vendor/bin/sail artisan test`) is an entry point too.
  if (TOOLCHAINS.has(first) || /^(\.\/)?([\w.-]+\/)*bin\/[\w.-]+$/.test(first)) {
    const rest = words
      .slice(1)
      .filter((word) => !['artisan', 'task', 'run', 'run-script', 'exec'].includes(word));
    const sub = rest[0] ?? '';
    if (/^(test|tests|spec|lint|typecheck|type-check|fmt|format|build|check)$|^(test|lint)[:_-]/.test(sub))
      return categoryOfName(sub);
    // `vendor/bin/phpunit`, `bin/rspec`: the binary's own name.
    return categoryOfName(first.split('/').at(-1) ?? first);
  }
  // `vendor/bin/phpunit`, `node_modules/.bin/jest`: the binary's own name.
  if (first.includes('/') && !/\.(sh|py|js|mjs|ts|rb)$/.test(first)) {
    const named = categoryOfName(first.split('/').at(-1) ?? '');
    if (named !== undefined) return named;
  }
  if (['pip', 'pip3', 'uv'].includes(first) && (words[1] === 'install' || words[1] === 'sync'))
    return words.includes('-r') || words[1] === 'sync' || tokens.includes('-r') ? 'install' : undefined;
  // `./scripts/gen_protos.sh` → `gen_protos`.
  const script = /^(\.{0,2}\/)?([\w.-]+\/)*[\w.-]+\.(sh|py|js|mjs|ts|rb)$/.test(first)
    ? (first.split('/').at(-1) ?? '').replace(/\.\w+$/, '')
    : undefined;
  if (script !== undefined) return categoryOfName(script);
  return (
    categoryOfName(first) ??
    (scriptLike(/^(pytest|jest|vitest|mocha|rspec|phpunit|ctest)$/) ? 'test' : undefined)
  );
}

function categoryOfName(name: string): CommandCategory | undefined {
  if (
    /^(test|tests|spec|specs|pytest|jest|vitest|mocha|rspec|phpunit|ctest|nextest|tox|nox|e2e|itest|utest|unit|integration)$|^(test|itest|unit|integration)[:_-]|[:_-](test|tests|itest)$|^e2e[:_-]/.test(
      name,
    )
  )
    return 'test';
  if (
    /^(lint|eslint|ruff|flake8|pylint|rubocop|stylelint|biome|golangci-lint|clippy|sqlfluff)$|^lint[:_-]|[:_-]lint$/.test(
      name,
    )
  )
    return 'lint';
  if (/^(tsc|vue-tsc|mypy|pyright|typecheck|type-check|types|check-types)$|^typecheck[:_-]/.test(name))
    return 'typecheck';
  if (/^(build|compile|bundle|webpack|rollup|tsup|esbuild)$|^build[:_-]/.test(name)) return 'build';
  if (/^(format|fmt|prettier|black|gofmt)$|^format[:_-]/.test(name)) return 'format';
  if (/^(check|verify|ci|validate|precommit|pre-commit)$/.test(name)) return 'check';
  if (/^(migrate|db:migrate|migration|migrations)$|^migrate[:_-]|^db:migrate/.test(name)) return 'migrate';
  if (
    /^(codegen|generate|gen|proto|protos|protobuf|grpc|stubs|protoc|buf|sqlc|oapi-codegen|graphql-codegen|openapi-generator(-cli)?)$|^(gen|generate|codegen)[:_-]|^gen[_-]?protos?$/.test(
      name,
    )
  )
    return 'generate';
  return undefined;
}

/** The lesson-relevant category of a command line, if any. */
export function categoryOf(command: string): CommandCategory | undefined {
  return categoryOfTokens(mainSegment(command));
}

/** Commands that only look at things: their failures teach nothing about the build. */
const READ_ONLY =
  /^(ls|ll|cat|head|tail|less|more|rg|grep|egrep|fgrep|ag|ack|find|fd|sed|awk|wc|tree|stat|file|jq|yq|echo|printf|pwd|which|whereis|type|env|printenv|date|true|false|test|diff|du|df|ps|top|id|whoami|uname|nl|sort|uniq|cut|column|xxd|od|curl|wget|http|open|nvidia-smi|lscpu|lspci|lsblk|lsof|nproc|free|uptime|hostname|ip|ifconfig|netstat|ss|journalctl|dig|nslookup|ping|sinfo|squeue|scontrol)$/;

/** True when a command only reads (ls, cat, rg, sed -n, git status/log/diff …). */
export function isReadOnly(command: string): boolean {
  const parts = segments(command);
  if (parts.length === 0) return true;
  return parts.every((segment) => {
    const [first = '', second = ''] = segment;
    if (first === 'cd') return true;
    // `pip show x`, `npm ls`, `go env`, `docker --version`: looking, not doing.
    const inspecting =
      /^(show|list|ls|info|view|status|version|--version|-v|-V|env|outdated|why|explain|help|--help)$/;
    if (inspecting.test(second)) return true;
    if (first === 'sed') return !segment.includes('-i');
    if (READ_ONLY.test(first)) return true;
    if (first === 'git')
      return [
        'status',
        'log',
        'diff',
        'show',
        'branch',
        'remote',
        'rev-parse',
        'blame',
        'grep',
        'ls-files',
      ].includes(second);
    if (first === 'docker' || first === 'kubectl')
      return (
        ['ps', 'logs', 'get', 'describe', 'images', 'inspect', 'version'].includes(second) ||
        segment.slice(1, 3).join(' ') === 'compose ps'
      );
    if (first === 'python' || first === 'python3' || first === 'node')
      return second === '-c' || second === '-e' || second === '--version';
    return false;
  });
}

/** Flags that only narrow or decorate a run; adding them does not make a different command. */
const NARROWING_FLAGS =
  /^(-k|-t|-x|-s|-v+|-q|-u|-U|--update|--updateSnapshot|--update-snapshots|--run|-run|--grep|-g|--testNamePattern|--testPathPattern|--bail|--verbose|--quiet|--no-coverage|--watch=false|--reporter(=.*)?|--maxfail(=.*)?|--lf|--ff|-p=?no:.*|--filter=.*test.*)$/;
const NARROWING_WITH_VALUE = new Set([
  '-k',
  '-t',
  '--grep',
  '-g',
  '--testNamePattern',
  '--testPathPattern',
  '-run',
  '--run',
]);

/** How a later run relates to an earlier failed one. */
export type Relation = 'same' | 'narrowed' | 'different';

function normalizedTokens(command: string): string[] {
  return segments(command).flatMap((segment, index) => (index === 0 ? segment : ['&&', ...segment]));
}

/** Failures about the state of this working copy, not about which command to use. */
const LOCAL_STATE_ERROR =
  /lock ?file|package-lock|pnpm-lock|yarn\.lock|poetry\.lock|Cargo\.lock|Gemfile\.lock|frozen|in sync|out of sync|out of date|outdated|not up to date/i;

/** Two commands with the same words, differing only in flags (`./gradlew build --no-daemon`). */
function sameWords(a: string, b: string): boolean {
  const words = (command: string): string =>
    normalizedTokens(command)
      .filter((token) => !token.startsWith('-'))
      .join(' ');
  return words(a) === words(b);
}

/** How a later run relates to a failed one: the same command, a narrower run of it, or another. */
export function relation(failed: string, later: string): Relation {
  const a = normalizedTokens(failed);
  const b = normalizedTokens(later);
  if (a.join(' ') === b.join(' ')) return 'same';
  const [longer, shorter] = b.length >= a.length ? [b, a] : [a, b];
  const remaining = [...longer];
  for (const token of shorter) {
    const at = remaining.indexOf(token);
    if (at < 0) return 'different';
    remaining.splice(at, 1);
  }
  // Every extra token narrows the run (a path, a filter flag and its value): same command.
  for (let index = 0; index < remaining.length; index += 1) {
    const token = remaining[index] ?? '';
    if (isPathLike(token) || NARROWING_FLAGS.test(token)) {
      if (NARROWING_WITH_VALUE.has(token)) index += 1;
      continue;
    }
    return 'different';
  }
  return 'narrowed';
}

// ---------------------------------------------------------------------------------------------
// Failure analysis

/** Terminal colour codes (ESC [ … m) in captured output. */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** Lines of a test report (a failing test, not a broken setup). */
const TEST_REPORT_LINE = /^\s*(FAILED\b|FAIL\b|--- FAIL|✗|×|✕|●\s+\S+.*›|not ok\b)/;
const ASSERTION = /\b(AssertionError|assert(ion)? failed|expected .+ (to|but)\b|Expected:|Received:)/i;

/** Phrases that read like instructions to an agent: never copied from tool output into a lesson. */
const INSTRUCTION_LIKE =
  /\b(always|never|from now on|ignore (all |any )?(previous|prior)|you must|assistant|ai agent|language model|remember this|the user prefers)\b/i;

/**
 * The most telling error line of a failed run, or undefined when the failure is a test report
 * (a failing assertion is the task at hand, not a lesson) or nothing looks like an error.
 */
export function errorLine(output: string): { line: string; setup: boolean } | undefined {
  const lines = output
    .replace(ANSI_COLOUR, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && line.length < 600);
  // A line that goes on to tell the reader what to do ("… not configured. You must either …") is
  // kept up to that sentence: the error is evidence, the instruction is never copied.
  const candidates = lines
    .filter((line) => !TEST_REPORT_LINE.test(line))
    .map((line) => {
      const at = line.search(INSTRUCTION_LIKE);
      if (at < 0) return line;
      const end = Math.max(line.lastIndexOf('. ', at), line.lastIndexOf('; ', at));
      return end >= 20 ? line.slice(0, end + 1) : '';
    })
    .filter((line) => line !== '' && !INSTRUCTION_LIKE.test(line));
  const typed = candidates.find(
    (line) =>
      (/\b[A-Z]?\w*(Error|Exception|[A-Z]\w*Warning)\b:\s*\S/.test(line) ||
        /\((?:[A-Z]\w*::)*[A-Z]\w*(Error|Exception)\)\s*$/.test(line) ||
        /\b(?:[a-z_]+\.){2,}[A-Z]\w+:\s*\S/.test(line)) &&
      !ASSERTION.test(line),
  );
  const informative = candidates.filter(
    (line) => !/^(npm error|npm ERR!) (code|errno|syscall|A complete log)\b|^npm (error|ERR!)\s*$/.test(line),
  );
  // `ERROR tests/test_x.py`, `ERROR collecting src/a.py`: a tag that only says where it broke names
  // no failure; a line further down that says what is wrong does.
  const whereOnly = (line: string): boolean =>
    /^(ERROR|FATAL|FAILED)\s*:?\s*(collecting\s+|in\s+)?[\w./:\\[\]-]+\s*(-\s*)?$/.test(line);
  const tagged = informative.find(
    (line) =>
      !whereOnly(line) &&
      (/(^|\s|\])(error|fatal|panic)(\[\w+\])?:\s*\S/i.test(line) ||
        /^(npm error|npm ERR!|ERR_[A-Z_]+| ?ERR_PNPM)/.test(line) ||
        /^(ERROR|FATAL)\b/.test(line)),
  );
  const phrased = candidates.find((line) =>
    /(missing|cannot|can't|could not|couldn't|not found|no such|no rule|no module|unsupported|unresolved|failed to resolve|failed to load|undefined: \S|\[build failed\]|not configured|failed to start|is unhealthy|initiali[sz]ation required|refused|denied|does not contain|does not exist|doesn't exist|is gated|requires|not installed|unknown (option|command|script)|already in use|not supported|unable to|conflicts with|inconsistent|incompatib\w*|execution failed|no space left|timed out|incompatible|not recognized|version mismatch|expired|unauthorized|out of memory|invalid (request|header|argument|value|config\w*|option)|exceed(s|ed)|too (large|long|big))/i.test(
      line,
    ),
  );
  // Last resort: a line that calls itself an error ("✘ mssql Error no matching manifest …").
  const named = informative.find(
    (line) => /\berror\b/i.test(line) && !/\b0 errors?\b|\bno errors?\b/i.test(line) && !whereOnly(line),
  );
  const chosen = typed ?? tagged ?? phrased ?? named;
  if (chosen === undefined) return undefined;
  const testReport = lines.some((line) => TEST_REPORT_LINE.test(line) || ASSERTION.test(line));
  // A failure of a named test ("FAIL src/a.test.ts > renders header", "FAILED t.py::test_x") is the
  // code under test, unless the suite itself could not run.
  const namedTestFailed = lines.some(
    (line) =>
      ASSERTION.test(line) || (TEST_REPORT_LINE.test(line) && /( > | › |::|\(\d+(\.\d+)?s\))/.test(line)),
  );
  const suiteBroken = lines.some((line) =>
    /failed to run|failed to load|could not (load|compile)|error during collection|cannot find module|no module named|failed to resolve/i.test(
      line,
    ),
  );
  // A typed error or a setup phrase is a setup failure even inside a test run ("Test suite failed to run").
  // An `ERROR …` log line of a tool (alembic, a linker) is a setup failure unless a named test failed.
  const logged = tagged !== undefined && /^(ERROR|FATAL)\b/.test(tagged);
  const setup =
    namedTestFailed && !suiteBroken
      ? false
      : typed !== undefined || phrased !== undefined || logged || !testReport;
  return { line: clip(chosen.replace(/^(E|>)\s+/, ''), 180), setup };
}

/**
 * The default install of a package manager (what every fresh checkout runs) or the install of one
 * named package (a missing module in this environment): neither is a lesson about the repository.
 */
export const PLAIN_INSTALL =
  /^((npm|pnpm|yarn|bun) (install|i|ci)|yarn|bundle install|poetry install|uv sync|pipenv install|cargo fetch|composer install|pip3? install -r requirements\.txt|(pip3?|npm|pnpm|yarn|bun|gem) (install|add|i) [\w@./=<>~^-]+)$/;

/** The lines a patch adds (without the `+`). */
function addedLines(body: string): string[] {
  return body
    .split('\n')
    .filter((line) => /^\+(?!\+\+)/.test(line))
    .map((line) => line.slice(1).trim());
}

/** True when a command runs what `file` defines (`make test` ↔ Makefile, `npm run x` ↔ package.json). */
function runsThrough(command: string, file: string): boolean {
  const name = file.split('/').at(-1) ?? file;
  const first = command.split(/\s+/)[0] ?? '';
  if (first === 'make') return /^(GNU)?[Mm]akefile$|\.mk$/.test(name);
  if (first === 'just') return /^[Jj]ustfile$/.test(name);
  if (first === 'task') return /^Taskfile\.ya?ml$/.test(name);
  if (PACKAGE_MANAGERS.has(first)) return name === 'package.json';
  if (first === 'tox') return name === 'tox.ini';
  return false;
}

/** The first line of a test report that names the failure (`● formats the report date`). */
function reportLine(output: string): { line: string; setup: boolean } | undefined {
  const line = output
    .split('\n')
    .map((text) => text.trim())
    .find((text) => /^(●|✕|×|✗|--- FAIL|FAILED\b|not ok\b)/.test(text) && text.length < 200);
  return line === undefined ? undefined : { line: line.replace(/^(●|✕|×|✗)\s*/, ''), setup: false };
}

/** Source code, documentation and styles: edits to these are work on the task, not on the setup. */
const SOURCE_FILE =
  /\.(ts|tsx|js|jsx|mjs|cjs|py|rb|go|rs|java|kt|swift|c|cc|cpp|h|hpp|cs|php|scala|vue|svelte|css|scss|html|sql|md|rst|txt|snap)$/i;

/** A file that configures the build or the tools: anything but source code, and `*.config.ts` & co. */
export function isConfigFile(file: string): boolean {
  const name = file.split('/').at(-1) ?? file;
  // The test harness's own setup (fixtures, plugins, globals) is how the suite runs, not code under test.
  if (
    /^(conftest\.py|setup-?tests\.[cm]?[jt]sx?|(jest|vitest)\.setup\.[cm]?[jt]s|(spec|rails|test)_helper\.rb|test_helper\.exs)$/i.test(
      name,
    )
  )
    return true;
  if (!SOURCE_FILE.test(name) && /\.\w+$|^[A-Z][\w-]*$|^\.\w/.test(name)) return true;
  // A tool's own dotfile or dot folder (`.eslintrc.cjs`, `.storybook/main.ts`, `.vitepress/config.ts`)
  // configures that tool, whatever language it is written in.
  if (/^\.[\w-]+rc\.[cm]?[jt]s$/.test(name) || /(^|\/)\.(?!github\/)[\w-]+\/[^/]+$/.test(file)) return true;
  return /(^|\.)(config|rc)\.[cm]?[jt]s$|^tsconfig.*\.json$|^package\.json$|^(go\.mod|go\.sum|Cargo\.toml|pyproject\.toml|setup\.cfg|tox\.ini|Makefile|justfile|Dockerfile|docker-compose\.ya?ml|compose\.ya?ml|\.env.*|\.nvmrc|\.tool-versions|Gemfile|requirements.*\.txt)$|^\.\w+rc(\.ya?ml|\.json)?$|\.(toml|ya?ml|ini|cfg)$/i.test(
    name,
  );
}

// ---------------------------------------------------------------------------------------------
// Lessons

/** How many turns after a failure a replacing command may come. */
const LOOKAHEAD_TURNS = 1;
/** A command longer than this is a one-off composition, not "the way to do X here". */
const MAX_DURABLE_COMMAND = 160;
/** More files than this changed between a failure and its success: which change fixed it is unclear. */
const MAX_FIX_FILES = 2;

/** First words of a step that never belongs to "how to X here" (a one-off or local-state step). */
const ONE_OFF_FIRST =
  /^(cp|mv|rm|sleep|tail|head|less|more|echo|printf|cat|tee|wc|sort|uniq|true|false|mkdir|touch|ln|chmod|chown|kill|pkill|killall|lsof|open|xdg-open|clear|date|time|wait)$/;
const ONE_OFF_GIT =
  /^(add|commit|push|checkout|switch|stash|tag|reset|rebase|merge|pull|fetch|clone|restore|cherry-pick|revert|am|apply|status|log|diff|show)$/;

/**
 * The durable part of a command line: what a future session would run to do the same thing.
 * One-off steps are dropped (`git add/commit/push`, `cp`/`mv`/`rm` of local files, `sleep`,
 * `| head`/`| tail` and other pipes into viewers); undefined when nothing durable is left or
 * the command works in a scratch place (`cd /tmp/…`, `/tmp/` paths).
 */
export function durableCommand(command: string, options: { fixStep?: boolean } = {}): string | undefined {
  if (/(^|\s)(\/tmp|\/var\/tmp|\$TMPDIR|~\/Downloads)(\/|\s|$)/.test(command)) return undefined;
  const steps = topLevelSteps(command);
  const kept: string[] = [];
  for (const step of steps) {
    if (step.pipedFrom) continue; // `… | head -n 20`, `… | grep x`: viewing, not doing
    const tokens = step.text.split(/\s+/).filter((token) => token !== '');
    const words = tokens.filter((token) => !/^[A-Z_][A-Z0-9_]*=/.test(token));
    const first = words[0] ?? '';
    if (first === '') continue;
    // Stopping a stale process (`kill 48211`) is how a fix was made, though never "the way to X".
    if (ONE_OFF_FIRST.test(first) && !(options.fixStep && first === 'kill')) continue;
    if (first === 'git' && ONE_OFF_GIT.test(words[1] ?? '')) continue;
    if (first === 'gh' || first === 'open') continue;
    kept.push(step.text.trim());
  }
  // A trailing `cd x` (or only cd/source/export) does nothing on its own.
  while (kept.length > 0 && /^(cd|source|\.|export)\b/.test(kept.at(-1) ?? '')) kept.pop();
  if (kept.length === 0) return undefined;
  const result = kept.join(' && ');
  return result.length > MAX_DURABLE_COMMAND ? undefined : result;
}

/**
 * True when a command line wipes or replaces local state in one of its steps (`rm -rf .next && …`,
 * `git clean -fdx; …`, `cp sample.yml local.yml && …`, `npm cache clean --force && …`). A run that
 * passed only after such a step may have passed because of it, whatever else changed: no command
 * is learned from it.
 */
export function wipesState(command: string): boolean {
  return topLevelSteps(command).some((step) => {
    if (step.pipedFrom) return false;
    const words = step.text.split(/\s+/).filter((token) => token !== '' && !/^[A-Z_][A-Z0-9_]*=/.test(token));
    const [first = '', second = '', third = ''] = words;
    if (/^(rm|rmdir|mv|cp|kill|pkill|killall|truncate|shred)$/.test(first)) return true;
    if (first === 'git' && /^(reset|clean|checkout|restore|stash)$/.test(second)) return true;
    return (
      /^(prune|purge|nuke|wipe)$/.test(second) ||
      (/^(cache|store|builder|system|image|volume|modcache)$/.test(second) &&
        /^(clean|clear|prune|purge|rm)$/.test(third)) ||
      /^-(modcache|cache)$/.test(third)
    );
  });
}

/** Splits a command line at top-level `&&`, `||`, `;` and `|` (quotes respected). */
function topLevelSteps(command: string): Array<{ text: string; pipedFrom: boolean }> {
  const steps: Array<{ text: string; pipedFrom: boolean }> = [];
  let current = '';
  let quote: string | undefined;
  let piped = false;
  const push = (nextPiped: boolean): void => {
    if (current.trim() !== '') steps.push({ text: current.trim(), pipedFrom: piped });
    current = '';
    piped = nextPiped;
  };
  for (let index = 0; index < command.length; index += 1) {
    const char = command[index] ?? '';
    if (quote) {
      if (char === quote) quote = undefined;
      current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      current += char;
    } else if ((char === '&' || char === '|') && command[index + 1] === char) {
      push(false);
      index += 1;
    } else if (char === ';' || char === '\n') push(false);
    else if (char === '|') push(true);
    else current += char;
  }
  push(false);
  return steps;
}

/** Options of {@link extractCommandLessons}. */
export interface CommandLessonOptions {
  /**
   * Also learn fixes made by code edits alone (normally progress on the task): set when the
   * person asked to remember how something was fixed.
   */
  codeFixes?: boolean;
  /**
   * The person's own words in each turn (quotes masked). A switch that would otherwise read as
   * hiding a failure (`--ignore-platform-req=ext-redis`) is learned when the person wrote it
   * themselves in the turn of the failure or of the run that passed: they vouched for it.
   */
  said?: ReadonlyMap<number, string>;
}

/** Proposes "use this command" and "this error was fixed by" recall candidates. */
export function extractCommandLessons(
  actions: SessionActions,
  options: CommandLessonOptions = {},
): Proposal[] {
  const proposals: Proposal[] = [];
  const runs = actions.commands;
  const taughtCommands = new Set<string>();
  const taughtErrors = new Set<string>();

  runs.forEach((failed, position) => {
    if (failed.exitCode === undefined || failed.exitCode === 0 || isReadOnly(failed.command)) return;
    const failedDurable = durableCommand(failed.command);
    if (failedDurable === undefined) return; // a scratch or one-off attempt teaches nothing
    const category = categoryOf(failedDurable);
    const error = errorLine(failed.output);
    const later = runs.slice(position + 1).filter((run) => run.turn <= failed.turn + LOOKAHEAD_TURNS);
    const durableOf = (run: CommandRun): string | undefined => durableCommand(run.command);
    // `./gradlew build --no-daemon` failing, a config edit, then `./gradlew build` passing: the
    // edit made it pass (the flags are incidental), so it is the same run fixed.
    const configEditBefore = (run: CommandRun): boolean =>
      actions.patches.some(
        (patch) => patch.order > failed.order && patch.order < run.order && patch.files.some(isConfigFile),
      );
    // `go test ./...` failing, its line in the Makefile's test target edited, then `make test`
    // passing: the same run, fixed through the file that runs it.
    const throughRunner = (run: CommandRun, durable: string): boolean =>
      actions.patches.some(
        (patch) =>
          patch.order > failed.order &&
          patch.order < run.order &&
          patch.files.some((file) => runsThrough(durable, file)) &&
          addedLines(patch.body).some((line) => {
            const tokens = new Set(line.split(/\s+/));
            return failedDurable.split(/\s+/).every((token) => token.startsWith('-') || tokens.has(token));
          }),
      );
    const retry = later.find((run) => {
      const durable = durableOf(run);
      if (run.exitCode !== 0 || durable === undefined) return false;
      if (relation(failedDurable, durable) !== 'different') return true;
      // `npx tsc --noEmit && npm test` exiting 0 passed its first step (a step after a setup one, as in
      // `cd backend && go test`, is another way to run it).
      const first = durable.split(/\s*&&\s*/)[0] ?? durable;
      if (first !== durable && relation(failedDurable, first) !== 'different') return true;
      return (sameWords(failedDurable, durable) && configEditBefore(run)) || throughRunner(run, durable);
    });

    // 1. The same command passed later: something made it pass (a fix), or it was flaky.
    if (retry !== undefined) {
      // A failing test that passed after only configuration changed (a `TZ=UTC` in the test script)
      // names its failure by the report line.
      const onlyConfig =
        actions.patches.some((patch) => patch.order > failed.order && patch.order < retry.order) &&
        actions.patches
          .filter((patch) => patch.order > failed.order && patch.order < retry.order)
          .every((patch) => patch.files.every(isConfigFile)) &&
        !runs.some(
          (run) =>
            run.order > failed.order &&
            run.order < retry.order &&
            run.exitCode === 0 &&
            !isReadOnly(run.command),
        );
      const error = errorLine(failed.output) ?? (onlyConfig ? reportLine(failed.output) : undefined);
      if (error === undefined || taughtErrors.has(error.line)) return;
      const failedAgain = runs.some((run) => {
        const durable = durableOf(run);
        return (
          run.order > failed.order &&
          run.order < retry.order &&
          run.exitCode !== 0 &&
          durable !== undefined &&
          (relation(failedDurable, durable) !== 'different' || sameWords(failedDurable, durable))
        );
      });
      // The last failure is the one that was fixed, unless the first change answered this failure
      // with configuration and the later failures were new errors it brought ("module": "NodeNext",
      // then relative imports need `.js`): one fix in steps, named by the first error.
      if (failedAgain) {
        const firstPatch = actions.patches.find(
          (patch) => patch.order > failed.order && patch.order < retry.order,
        );
        const newErrors = runs
          .filter((run) => run.order > failed.order && run.order < retry.order && run.exitCode !== 0)
          .every((run) => {
            const again = errorLine(run.output);
            return (
              again !== undefined && again.line !== error.line && run.order > (firstPatch?.order ?? Infinity)
            );
          });
        // The same error after a configuration change, cleared by a second one that kept the first
        // (`transformIgnorePatterns` in jest.config.js, then `allowJs` in tsconfig.json): one fix
        // in two steps, both named.
        const between = actions.patches.filter(
          (patch) => patch.order > failed.order && patch.order < retry.order,
        );
        const sameError = runs
          .filter(
            (run) =>
              run.order > failed.order &&
              run.order < retry.order &&
              run.exitCode !== 0 &&
              !isReadOnly(run.command),
          )
          .every((run) => {
            const again = errorLine(run.output);
            return again !== undefined && quietError(again.line) === quietError(error.line);
          });
        const configSteps =
          between.length >= 2 &&
          between.every((patch) => patch.files.every(isConfigFile)) &&
          new Set(between.flatMap((patch) => patch.files)).size === between.length;
        if (!(sameError && configSteps)) {
          if (firstPatch === undefined || !firstPatch.files.every(isConfigFile) || !newErrors) return;
        }
      }
      const patches = actions.patches.filter(
        (patch) => patch.order > failed.order && patch.order < retry.order,
      );
      const files = [...new Set(patches.flatMap((patch) => patch.files))];
      const fixCommands = runs
        .filter(
          (run) =>
            run.order > failed.order &&
            run.order < retry.order &&
            run.exitCode === 0 &&
            !isReadOnly(run.command),
        )
        .map((run) => durableCommand(run.command, { fixStep: true }))
        .filter(
          (command): command is string =>
            command !== undefined && relation(failedDurable, command) === 'different',
        );
      // `dotnet test` refused to choose ("more than one project"), `dotnet test Ledger.sln` passed with
      // nothing changed: the narrowed command is the one to use.
      const retried = durableOf(retry) ?? failedDurable;
      if (files.length === 0 && fixCommands.length === 0) {
        // Otherwise a flaky rerun, or one made to pass by wiping local state in the same line.
        if (wipesState(retry.command)) return;
        if (!error.setup || category === undefined || relation(failedDurable, retried) !== 'narrowed') return;
        if (taughtCommands.has(retried) || LOCAL_STATE_ERROR.test(error.line)) return;
        taughtCommands.add(retried);
        proposals.push(
          commandLesson(category, failedDurable, failed.exitCode, retried, retry.turn, error.line, true),
        );
        return;
      }
      // `npm install --force`, `git commit --no-verify`: a fix that forces its way through is no lesson.
      if (
        fixCommands.some(
          (command) =>
            /(^|\s)(--force|--no-verify|--unsafe-perm|--allow-root)\b/.test(command) ||
            forcesThrough(command),
        )
      )
        return;
      // A failing test is the task at hand, unless only configuration changed before it passed
      // (a Makefile forcing CGO_ENABLED=0): then the setup was wrong.
      const configOnly = fixCommands.length === 0 && files.length > 0 && files.every(isConfigFile);
      // Only commands ran in between, nothing was edited (`docker compose … up --wait`, then the
      // failing e2e suite passed): the environment was wrong, not the code under test.
      const environmentOnly = files.length === 0 && fixCommands.length > 0;
      if (!error.setup && !configOnly && !environmentOnly) return;
      if (files.length > MAX_FIX_FILES) return; // too many changes: which one fixed it is unclear
      // Only code edits between: progress on the task at hand, not a lesson about the setup.
      if (fixCommands.length === 0 && !files.some(isConfigFile) && !options.codeFixes) return;
      // Named by the run that passed when only its flags differ (the flags were incidental), by the
      // failed command when the run that passed began with it (`npx tsc --noEmit && npm test`).
      const chained = relation(failedDurable, retried.split(/\s*&&\s*/)[0] ?? retried) !== 'different';
      const named = relation(failedDurable, retried) === 'different' && !chained ? retried : failedDurable;
      const through = throughRunner(retry, retried);
      const lesson = errorFixLesson(
        through ? failedDurable : named,
        retry,
        error.line,
        files,
        patches,
        fixCommands,
        through ? retried : undefined,
      );
      if (lesson === undefined) return;
      // "Cannot find module x" fixed by a plain `npm install`: what any fresh checkout needs, not a
      // lesson about this repository.
      if (files.length === 0 && fixCommands.every((command) => PLAIN_INSTALL.test(command))) return;
      taughtErrors.add(error.line);
      proposals.push(lesson);
      return;
    }

    // 2. The same command with only a switch added (`-tags sqlite_fts5`, `PGPORT=5433`) passed, with
    // nothing edited or run in between: the switch is what makes it pass here, whatever the failure.
    const vouched = (run: CommandRun, durable: string): boolean => {
      const added = addedSwitches(failedDurable, durable, { hiding: true });
      if (added === undefined) return false;
      const words = [failed.turn, run.turn].map((turn) => options.said?.get(turn) ?? '').join('\n');
      return added.every((token) => {
        const at = words.indexOf(token);
        // Never a switch that forces its way through, and never one the person warned against.
        if (token.length < 4 || at < 0 || FORCING.test(token) || forcesThrough(token)) return false;
        // "just add --no-cache this once", "这次先加 …": a one-time permission, not the way.
        const end = words.indexOf('\n', at);
        const line = words.slice(words.lastIndexOf('\n', at) + 1, end < 0 ? words.length : end);
        if (ONCE.test(line)) return false;
        return !NEGATED_BEFORE.test(words.slice(Math.max(0, at - 24), at));
      });
    };
    const switched = later.find((run) => {
      const durable = durableOf(run);
      return (
        run.exitCode === 0 &&
        durable !== undefined &&
        (addedSwitches(failedDurable, durable) !== undefined || vouched(run, durable))
      );
    });
    const switchedDurable = switched === undefined ? undefined : durableOf(switched);
    if (switched !== undefined && switchedDurable !== undefined) {
      const between = (run: CommandRun): boolean => run.order > failed.order && run.order < switched.order;
      const quiet =
        !wipesState(switched.command) &&
        !actions.patches.some((patch) => between({ ...switched, order: patch.order })) &&
        !runs.some((run) => between(run) && run.exitCode === 0 && !isReadOnly(run.command));
      const added =
        addedSwitches(failedDurable, switchedDurable) ??
        addedSwitches(failedDurable, switchedDurable, { hiding: true }) ??
        [];
      // `rubocop -a`, `eslint --fix`, `prettier --write`: a linter passing once it rewrote the code
      // fixed today's offences; the switch is not what this repository needs to run it.
      const rewrites =
        (category === 'lint' || category === 'format') && added.some((token) => REWRITING.test(token));
      if (quiet && !rewrites && !taughtCommands.has(switchedDurable)) {
        taughtCommands.add(switchedDurable);
        proposals.push(switchLesson(category, failed, switchedDurable, switched.turn, added, error?.line));
      }
      return;
    }

    // 3. It never passed, but a different command of the same kind did: the command to use here.
    if (category === undefined) return;
    const success = later.find(
      (run) =>
        run.exitCode === 0 && durableOf(run) !== undefined && categoryOf(durableOf(run) ?? '') === category,
    );
    const successDurable = success === undefined ? undefined : durableOf(success);
    if (success === undefined || successDurable === undefined || taughtCommands.has(successDurable)) return;
    if (relation(failedDurable, successDurable) !== 'different') return;
    if (wipesState(success.command)) return; // `rm -rf build && …`: the wipe may be what made it pass
    // A config file edited in between, or a failure about the state of the working copy (a lockfile
    // out of sync): the change, not the other command, is what made it pass.
    if (configEditBefore(success)) return;
    // `buf generate proto/metrics` failing and `buf generate api/proto/v2/metrics` passing: the lesson
    // is where things are, not which command to run.
    const skeleton = (command: string): string =>
      normalizedTokens(command)
        .filter((token, index, tokens) => !isPathLike(token) || (tokens[index - 1] ?? '').startsWith('-'))
        .join(' ');
    if (skeleton(failedDurable) === skeleton(successDurable)) return;
    if (error !== undefined && LOCAL_STATE_ERROR.test(error.line)) return;
    const editedBetween = actions.patches.some(
      (patch) => patch.order > failed.order && patch.order < success.order,
    );
    // A failing test suite fixed by editing code, then another command passing, is progress on
    // the task, not a lesson about which command to run.
    const setupFailure = error?.setup ?? false;
    if (!setupFailure && editedBetween) return;
    // Only a failure of the setup (a missing script, tool, module) says the command is wrong here.
    if (!setupFailure) return;
    taughtCommands.add(successDurable);
    proposals.push(
      commandLesson(
        category,
        withoutNarrowing(failedDurable),
        failed.exitCode,
        withoutNarrowing(successDurable),
        success.turn,
        error?.line,
        setupFailure,
      ),
    );
  });
  // `npm install --force`, `--legacy-peer-deps`: however it came about, a command that forces its
  // way through is never "the way to do it here".
  return proposals.filter((proposal) => proposal.kind !== 'command' || !forcesThrough(proposal.content));
}

/** A linter's or formatter's switch that rewrites the files it checks. */
const REWRITING =
  /^(-a|-A|-w|--fix\b.*|--write|--autocorrect\b.*|--auto-correct\b.*|--autofix|--apply\b.*|--in-place|-i)$/;

/**
 * Switches that force a run past a check, by family: `--force*`, `--no-verify`, `--ignore-*` (a
 * conflict, an engine, a platform requirement, errors), `--skip-*-check(s)` and other skipped
 * verification, `--allow-*-conflicts`, `--legacy-peer-deps`. Not the switches that choose what a tool
 * looks at: `--ignore-pattern`, `--ignore-path`, `--ignore-file`, `--ignore=<path>` (a linter's or a
 * test runner's filter, as `--filter` and `--exclude` are), `--ignore-scripts` (which runs less, and
 * forces nothing past a check), what a diff leaves out (`--ignore-all-space`), `--ignore-not-found` and
 * `--ignore-unknown` (nothing to do is no failure), and an ignore that names the one thing it ignores
 * (`--ignore-platform-req=ext-redis`: a requirement this machine cannot meet, chosen, not forced).
 */
const FORCED =
  /^(--force\b.*|--no-verify\b.*|--no-check(s)?|--unsafe-perm|--allow-root|--legacy-peer-deps|--ignore-(?!(pattern|path|file|glob|scripts|dir|case|(all-)?space|space-change|whitespace|blank-lines|cr-at-eol|submodules|unknown|not-found)\b)[\w-]+|--skip-([\w-]*-)?(checks?|verify|verification|validation|validate|preflight|hooks?)(=.*)?|--allow-([\w-]*-)?(conflicts?|unrelated-histories|unauthenticated|insecure[\w-]*|downgrades|unsigned)|--overwrite-conflicts?|--insecure)$/;
/** Verbs that ship or install something: a bare `-f` after one forces it (`git push -f`, `npm i -f`). */
const SHIPPING_VERB = /^(push|deploy|install|i|add|publish|release|upgrade|update|sync|ci)$/;

/**
 * True when a command forces its way past a check (see {@link FORCED}; a bare `-f` or `-F` counts on
 * a push, deploy or install verb, not when a file follows it as in `helm install -f values.yaml`).
 * Such a command is never the way to do things here, whoever asked for it.
 */
export function forcesThrough(command: string): boolean {
  const tokens = command.split(/[\s`(),;]+/).filter((token) => token !== '');
  return tokens.some((token, index) => {
    if (FORCED.test(token)) return true;
    if (token !== '-f' && token !== '-F') return false;
    const next = tokens[index + 1] ?? '';
    if (/[./\\]|^\w+:/.test(next) || next.startsWith('$')) return false;
    return tokens.slice(0, index).some((word) => SHIPPING_VERB.test(word));
  });
}

/**
 * Flags that hide a failure rather than fix it (skipping, forcing, updating snapshots, retrying) or
 * only look closer at it (debug, trace, verbose output).
 */
const HIDING_SWITCH =
  /skip|ignore|exclude|no-verify|force|update|pass-?with|allow-?(empty|fail|dirty|root|unsafe|warn|no|unrelated|missing|skip)|continue|keep-going|bail|deselect|only|last-failed|retr(y|ies)|rerun|debug|trace|verbose|inspect|log-?level|^-u$|^-f$|^-i$|^-v+$|^-d$/i;
/** Switches that force a run through whatever the check said: never learned, even when asked for. */
const FORCING = /^(-f|--force\b.*|--no-verify|--unsafe-perm|--allow-root|--legacy-peer-deps|--skip\b.*|-n)$/;
/** "don't add …", "never use …", "不要加 …", "别用 …" right before a switch: a warning, not a vouch. */
const NEGATED_BEFORE =
  /(\b(don'?t|do not|never|no|not|without|stop)\b|不要|别|不用|不能|禁止|勿)[^.!?。！？\n]*$/i;
/** A permission for this one run. */
const ONCE =
  /\b(this once|just once|for now|this time|for today|today|temporarily|one-off|one off)\b|这次|这一次|今天|临时|暂时|先这样|就这一回/i;
/** Environment variables that only make a run say more. */
const INCIDENTAL_ENV = /^(DEBUG|RUST_BACKTRACE|RUST_LOG|LOG_LEVEL|VERBOSE|TRACE|NODE_DEBUG|CI)=/;

/**
 * The switches a later command adds to a failed one (flags with their values, `NAME=value`
 * prefixes), or undefined when it differs otherwise, narrows the run or hides the failure.
 */
export function addedSwitches(
  failed: string,
  later: string,
  options: { hiding?: boolean } = {},
): string[] | undefined {
  const before = normalizedTokens(failed);
  const after = normalizedTokens(later);
  if (after.length <= before.length) return undefined;
  const remaining = [...after];
  for (const token of before) {
    const at = remaining.indexOf(token);
    if (at < 0) return undefined;
    remaining.splice(at, 1);
  }
  const added: string[] = [];
  for (let index = 0; index < remaining.length; index += 1) {
    const token = remaining[index] ?? '';
    if (/^[A-Z_][A-Z0-9_]*=\S*$/.test(token)) {
      // `DEBUG=1`, `RUST_BACKTRACE=1`: looking closer, not what makes it pass.
      if (INCIDENTAL_ENV.test(token)) return undefined;
      added.push(token);
      continue;
    }
    if (
      !token.startsWith('-') ||
      NARROWING_FLAGS.test(token) ||
      (HIDING_SWITCH.test(token) && !options.hiding)
    )
      return undefined;
    // `-tags sqlite_fts5`: the value right after a short or long flag goes with it.
    const value = remaining[index + 1];
    const position = after.indexOf(token);
    if (
      value !== undefined &&
      !value.startsWith('-') &&
      after[position + 1] === value &&
      !token.includes('=')
    ) {
      if (isPathLike(value) && value.includes('/')) return undefined;
      added.push(`${token} ${value}`);
      index += 1;
    } else added.push(token);
  }
  return added.length > 0 ? added : undefined;
}

function switchLesson(
  category: CommandCategory | undefined,
  failed: CommandRun,
  success: string,
  successTurn: number,
  added: readonly string[],
  error: string | undefined,
): Proposal {
  const switches = added.map((token) => `\`${token}\``).join(' and ');
  const without = error === undefined ? 'without it the run fails' : `without it: ${quietError(error)}`;
  const content = `In this repo, run \`${success}\` (it needs ${switches}; ${without}).`;
  return {
    kind: 'command',
    family: 'recall_candidate',
    summary: `${category === undefined ? 'Command' : CATEGORY_TITLES[category]}: \`${success}\``,
    content,
    sourcePaths: [],
    evidence: {
      turn: successTurn,
      quote: clip(`$ ${failed.command} → exit ${failed.exitCode ?? '?'}; $ ${success} → exit 0`, MAX_QUOTE),
    },
    confidence: 0.75,
    dedupeKey: success,
    addedWords: [...contentWords(added.join(' '))],
  };
}

/**
 * A command without the trailing file or folder it was narrowed to (`yarn test:unit src/payouts`
 * → `yarn test:unit`): the lesson is how to run the suite, not the one file of that day.
 * `./...`, `.` and flags stay.
 */
export function withoutNarrowing(command: string): string {
  const tokens = command.split(' ');
  // `composer test -- --filter CouponServiceTest`, `pytest -k test_refund`: one test of that day.
  // (`pnpm --filter web test` selects a workspace, so only a trailing selector is dropped.)
  while (
    tokens.length > 3 &&
    (NARROWING_WITH_VALUE.has(tokens.at(-2) ?? '') ||
      // `--filter CouponServiceTest` names one test; `--filter Category!=Integration` selects the
      // suite this repository runs by default, which is the lesson.
      (tokens.at(-2) === '--filter' && /^[\w.:]+$/.test(tokens.at(-1) ?? ''))) &&
    !(tokens.at(-1) ?? '').startsWith('-')
  ) {
    tokens.splice(-2, 2);
    if (tokens.at(-1) === '--') tokens.pop();
  }
  while (tokens.length > 2) {
    const last = tokens.at(-1) ?? '';
    if (
      last === '.' ||
      last === './...' ||
      // `npx nx test @orbit/api`: a scoped package names the project, not a file.
      last.startsWith('@') ||
      last.startsWith('-') ||
      !isPathLike(last) ||
      /^\.\/[\w.-]+\.(sh|py|js|ts)$/.test(last)
    )
      break;
    if (
      /(^|\/)\w+\.(test|spec)\.|(^|\/)(tests?|spec|src|app|lib|packages)\//.test(last) ||
      /\.(py|ts|tsx|js|jsx|rb|go|rs)$/.test(last) ||
      last.includes('/')
    )
      tokens.pop();
    else break;
  }
  return tokens.join(' ');
}

const CATEGORY_WORDS: Record<CommandCategory, string> = {
  services: 'start the local services',
  test: 'run the tests',
  lint: 'lint',
  typecheck: 'type-check',
  build: 'build',
  install: 'install dependencies',
  format: 'format the code',
  check: 'run the checks',
  migrate: 'run migrations',
  generate: 'generate code',
};

const CATEGORY_TITLES: Record<CommandCategory, string> = {
  services: 'Local services command',
  test: 'Test command',
  lint: 'Lint command',
  typecheck: 'Type-check command',
  build: 'Build command',
  install: 'Install command',
  format: 'Format command',
  check: 'Check command',
  migrate: 'Migration command',
  generate: 'Code generation command',
};

/** Verbs that say nothing about which tool a command lesson is about. */
const GENERIC_COMMAND_WORDS = new Set([
  'start',
  'stop',
  'exec',
  'up',
  'down',
  'install',
  'build',
  'test',
  'add',
  'sh',
  'bash',
  'source',
  'cd',
  'true',
]);

function commandLesson(
  category: CommandCategory,
  failed: string,
  failedExit: number | undefined,
  success: string,
  successTurn: number,
  error: string | undefined,
  setup: boolean,
): Proposal {
  // The failed command is not named in the lesson: a note that holds it invites running it again.
  const content = `To ${CATEGORY_WORDS[category]} in this repo, run \`${success}\`.`;
  return {
    kind: 'command',
    family: 'recall_candidate',
    summary: `${CATEGORY_TITLES[category]}: \`${success}\``,
    content,
    sourcePaths: [],
    evidence: {
      turn: successTurn,
      quote: clip(`$ ${failed} → exit ${failedExit ?? '?'}; $ ${success} → exit 0`, MAX_QUOTE),
    },
    confidence: setup ? 0.8 : 0.65,
    dedupeKey: success,
    addedWords: [...contentWords(success)].filter(
      (word) => !contentWords(failed).has(word) && !GENERIC_COMMAND_WORDS.has(word),
    ),
  };
}

/** An error line fit to sit inside a sentence: no stray backticks, at most ~160 characters. */
export function quietError(error: string): string {
  let text = error.replace(/…$/, '').trim();
  if ((text.match(/`/g) ?? []).length % 2 === 1) text = text.replace(/`/g, '');
  if (text.length > 160) {
    // `OperationalError: (…) connection … failed: FATAL: database "x" does not exist`: the last marker tells.
    const inner = /.*\b(FATAL|ERROR|Error|error|panic):\s*/.exec(text.slice(20));
    if (inner && text.length - 20 - inner[0].length > 15) {
      // `error NU1605: Warning As Error: Detected package downgrade …`: the code is what one searches for.
      const code = /\b([A-Z]{1,4}\d{3,5})\b/.exec(text.slice(0, 20 + inner[0].length))?.[1];
      text = text.slice(20 + inner[0].length);
      if (code !== undefined && !text.includes(code)) text = `${code}: ${text}`;
    }
  }
  if (text.length > 160) {
    const cut = text.slice(0, 160);
    const space = cut.lastIndexOf(' ');
    text = space > 80 ? cut.slice(0, space) : cut;
    if ((text.match(/`/g) ?? []).length % 2 === 1) text = text.replace(/`/g, '');
  }
  return text.replace(/[.;,:]+$/, '');
}

/**
 * A short name of an error for a title: its telling phrase ("address already in use", "no space
 * left on device"), else its code or type with a short detail, else its first words.
 */
export function errorLabel(error: string): string {
  // `internal/x.go:6:2: missing go.sum entry …`: the location is not the error.
  const text = quietError(error)
    .replace(/`/g, '')
    // Build-log prefixes ("#8 12.31 ", "✘ mssql ", "> ") are not the error.
    .replace(/^#\d+\s+[\d.]+\s+/, '')
    .replace(/^(?!['"])[^\w\s]+\s*/u, '')
    .replace(/^(ERROR|FATAL|FAILED)\s*(\[[^\]]*\])?\s*:?\s*/, '')
    .replace(/^\S+:\d+(:\d+)?(:\s*|\s+-\s+)/, '')
    // A linter's `12:15  error  'x' is not defined  no-undef`: the position and level are not the error.
    .replace(/^\d+:\d+\s+(error|warning)\s+/i, '');
  const segments = text.split(/:\s+/).map((segment) => segment.trim().replace(/[.;,]+$/, ''));
  const phrase = [...segments]
    .reverse()
    .map((segment) => segment.split(/[.;]\s/)[0] ?? segment)
    .find(
      (segment) =>
        // Words, not numbers: `4693 (max 4096)...skip` is the detail of `invalid request block size`.
        segment.split(/\s+/).filter((word) => /[a-z]{2,}/i.test(word)).length >= 3 &&
        segment.length <= 90 &&
        !/^(error|npm error|fatal|panic)$/i.test(segment),
    );
  if (phrase) return phrase.replace(/^(npm error|npm ERR!|error|fatal|panic)\s+/i, '');
  const code = /\b(E\d{3,5}|TS\d{4}|ERR_[A-Z_]+|E(?!RROR\b)[A-Z]{4,}|[A-Z]\w*(?:Error|Exception))\b/.exec(
    text,
  );
  if (code?.[1]) {
    const after = text
      .slice((code.index ?? 0) + code[1].length)
      .replace(/^[\]:\s]+/, '')
      .trim();
    return after !== '' && after.length <= 40 ? `${code[1]} ${after}` : code[1];
  }
  const first =
    text
      .replace(/^(npm error|npm ERR!|error|fatal|panic)\s*:?\s*/i, '')
      .split(/\s\(|\s(?:for|because|while|when)\s/)[0] ?? text;
  return first
    .split(/\s+/)
    .slice(0, 10)
    .join(' ')
    .replace(/[.;,:]+$/, '');
}

/** The change one patch made to one file: removed and added lines, trimmed, byte-exact. */
export function describeChange(patches: readonly PatchRun[], file: string): string | undefined {
  for (const patch of patches) {
    const sections = patch.body.split(/^(?=\*\*\* (?:Update|Add|Delete) File: )/m);
    for (const section of sections) {
      const header = /^\*\*\* (Update|Add|Delete) File: (.+)$/m.exec(section);
      if (!header || header[2]?.trim() !== file) continue;
      if (header[1] === 'Add') {
        const lines = section
          .split('\n')
          .filter((line) => /^\+/.test(line))
          .map((line) => line.slice(1).trim())
          .filter((line) => line !== '');
        const only = lines.length === 1 ? lines[0] : undefined;
        return only !== undefined && only.length <= 120 && !only.includes('`')
          ? `add \`${file}\` with \`${only}\``
          : `add \`${file}\``;
      }
      if (header[1] === 'Delete') return `delete \`${file}\``;
      const removed: string[] = [];
      const added: string[] = [];
      for (const line of section.split('\n')) {
        if (/^-(?!--)/.test(line) && line.slice(1).trim() !== '') removed.push(line.slice(1).trim());
        else if (/^\+(?!\+\+)/.test(line) && line.slice(1).trim() !== '') added.push(line.slice(1).trim());
      }
      // Brackets alone, and lines that only re-wrap what was there, are not the change.
      const trivial = (line: string): boolean => /^[\s{}()[\];,]*$/.test(line);
      const within = (line: string, others: string[]): boolean => {
        const core = line.replace(/[,;]$/, '');
        return core.length >= 8 && others.some((other) => other !== line && other.includes(core));
      };
      const newOnly = added.filter(
        (line) => !removed.includes(line) && !trivial(line) && !within(line, removed),
      );
      const oldOnly = removed.filter((line) => !added.includes(line) && !trivial(line));
      const fits = (line: string): boolean => line.length <= 120 && !line.includes('`');
      // An old line split over several new ones ("defineConfig({ test })" → "defineConfig({ resolve, test
      // })")
      // is not replaced: what was added is the change.
      const rewrapped = added.some((line) => within(line, removed));
      const oneForOne = oldOnly.length === 1 && newOnly.length === 1;
      if (!rewrapped && oneForOne && fits(oldOnly[0] ?? '') && fits(newOnly[0] ?? '')) {
        return `in \`${file}\` change \`${oldOnly[0]}\` to \`${newOnly[0]}\``;
      }
      if (newOnly.length > 0 && newOnly.length <= 2 && newOnly.every(fits)) {
        return `in \`${file}\` add ${newOnly.map((line) => `\`${line}\``).join(' and ')}`;
      }
      // A small block of settings added whole (a `server.proxy` entry, a nested yaml key): one span.
      const block = newOnly.join(' ');
      if (oldOnly.length === 0 && newOnly.length <= 8 && block.length <= 240 && !block.includes('`')) {
        return `in \`${file}\` add ${newOnly.map((line) => `\`${line}\``).join(' ')}`;
      }
      return `edit \`${file}\``;
    }
  }
  return undefined;
}

function errorFixLesson(
  failed: string,
  retry: CommandRun,
  error: string,
  files: string[],
  patches: readonly PatchRun[],
  fixCommands: string[],
  passed?: string,
): Proposal | undefined {
  const how: string[] = [];
  if (fixCommands.length > 0)
    how.push(
      `run ${fixCommands
        .slice(0, 3)
        .map((command) => `\`${command}\``)
        .join(', then ')}`,
    );
  const changes = files.map((file) => describeChange(patches, file));
  // "Fixed by editing X" without the change is no lesson: the note must say what changed.
  const unsaid = changes.every((change) => change === undefined || /^edit `/.test(change));
  if (fixCommands.length === 0 && unsaid) return undefined;
  files.forEach((file, index) => how.push(changes[index] ?? `edit \`${file}\``));
  const after = passed === undefined ? 'after that it passes' : `after that \`${passed}\` passes`;
  const content = `When \`${failed}\` fails with ${quietError(error)}: ${how.join(', and ')}; ${after}.`;
  const configFix = fixCommands.length > 0 || files.some(isConfigFile);
  return {
    kind: 'error_fix',
    family: 'recall_candidate',
    summary: `Fixing ${errorLabel(error)} (\`${failed}\`)`,
    content,
    sourcePaths: files,
    evidence: { turn: retry.turn, quote: clip(error, MAX_QUOTE) },
    confidence: configFix ? 0.7 : 0.55,
    dedupeKey: error,
  };
}
