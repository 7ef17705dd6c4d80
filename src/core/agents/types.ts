/**
 * The seam between this tool and the coding agents it serves. Everything that depends on one
 * agent (the shape of its hook payloads, what its hooks may print, its transcript files, where it
 * keeps sessions, hooks and skills) sits behind {@link AgentAdapter}, one folder per agent under
 * `core/agents/`, found by name through the registry (`core/agents/index.ts`). The hooks, review,
 * import, install and status only speak to this interface.
 *
 * Types only: importing this file loads nothing at run time (the hook path stays small).
 */

/**
 * Name of an agent, a key of the registry: `codex` (the default everywhere), `claude-code`, ...
 * Also the value of the hook commands' `--agent` flag and of the CLI's `--agent` option.
 */
export type AgentName = string;

/** The hook commands this tool installs, by their CLI subcommand. */
export type HookEvent = 'session-start' | 'prompt-recall' | 'stop-review' | 'session-end';

/**
 * Which turn of which session of which agent. The spool, the queue, the reviewed-turn keys and
 * the reviews-per-day ledger are keyed on it (`turnKey` of `core/agents/turn-key.ts`), so the Stop
 * hook and `import` of the same turn agree and a turn is reviewed once.
 */
export interface TurnIdentity {
  agent: AgentName;
  /** The agent's session (Codex thread id, Claude Code session_id). */
  session: string;
  /**
   * The turn within the session, as the agent identifies it: Codex's `turn_id`; for an agent
   * whose Stop fires several times per turn, whatever makes a finished turn unique (for Claude
   * Code: prompt_id plus the last assistant message). Empty when the payload had none.
   */
  turn: string;
}

/** What any hook payload says, in neutral terms. Fields the payload lacks are undefined. */
export interface HookInput {
  /** The agent's session id. */
  session?: string | undefined;
  /** The session's working directory. */
  cwd?: string | undefined;
  /** Absolute path of the session transcript as the payload gives it (may not exist yet). */
  transcriptPath?: string | undefined;
  /** The submitted prompt (prompt-recall only). */
  prompt?: string | undefined;
  /** The model slug, when the payload names it. */
  model?: string | undefined;
}

/** A finished turn as a Stop hook payload describes it. */
export interface StopTurn extends HookInput {
  id: TurnIdentity;
  /** The final assistant text of the turn (not yet redacted). */
  lastAssistantMessage?: string | undefined;
  /** The agent is continuing a turn after a hook blocked its stop (`stop_hook_active`). */
  continued: boolean;
  /**
   * The agent still works on the turn in the background (Claude Code's running background
   * subagents): a later Stop of the same turn brings the rest, so the review waits for it a while.
   */
  settling?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Transcripts: what the reviewer reads, whatever the agent's file format

/** One item of a session transcript that a reviewer may care about. */
export type TranscriptEntry =
  | { kind: 'user'; text: string; turnId?: string; timestamp?: string }
  | { kind: 'assistant'; text: string; turnId?: string; timestamp?: string }
  /** A tool invocation: shell command, apply_patch, MCP call... `input` is the rendered arguments. */
  | { kind: 'tool_call'; name: string; input: string; callId?: string; turnId?: string; timestamp?: string }
  /** The output of a tool call; `exitCode` when the transcript records one. */
  | {
      kind: 'tool_output';
      output: string;
      callId?: string;
      exitCode?: number;
      turnId?: string;
      timestamp?: string;
    };

/** A user turn: entries from one human prompt up to (not including) the next. */
export interface TranscriptTurn {
  /** 0-based position among the turns of the transcript. */
  index: number;
  /**
   * The turn's id, equal to {@link TurnIdentity.turn} of the Stop hook for that turn, so a review
   * can cut the transcript after the hook's turn and `import` keys a turn as the hook did.
   */
  turnId?: string;
  entries: TranscriptEntry[];
}

/** A parsed session transcript. */
export interface Transcript {
  sessionId?: string;
  cwd?: string;
  cliVersion?: string;
  turns: TranscriptTurn[];
  /** Lines that could not be parsed (kept as a count, never their content). */
  skippedLines: number;
}

/** A {@link Transcript} read from disk, with what was left unread. */
export interface ReadTranscript extends Transcript {
  /** True when the file was larger than the limit and only its tail was parsed. */
  truncated: boolean;
  /** Size of the file when it was read. */
  totalBytes: number;
  /** Bytes actually parsed. */
  bytesRead: number;
}

/** A past session on disk, found for `import` (read cheaply, without parsing the whole file). */
export interface SessionFile {
  /** The transcript file. */
  file: string;
  session?: string | undefined;
  /** The session's working directory (selects the repository). */
  cwd?: string | undefined;
  /** Start of the session, ms since the epoch (else the file's mtime). */
  startedAt: number;
}

// ---------------------------------------------------------------------------------------------
// Install, uninstall, status

/** How an installed hook starts this tool: node and a CLI path, or `npx -y <package@version>`. */
export type Launcher = { kind: 'node'; node: string; cli: string } | { kind: 'npx'; packageSpec: string };

/** What `install` / `uninstall` ask of an agent. */
export interface InstallRequest {
  /** The agent's config directory (see {@link AgentAdapter.configDir}). */
  configDir: string;
  /** Whether `configDir` was given on the command line (the next steps then repeat it). */
  configDirGiven: boolean;
  /** Install: how the hooks start this tool. */
  launcher?: Launcher;
  /** Install: also mark our hooks trusted where the agent asks for per-hook trust (else ignored). */
  trust?: boolean;
  /** Uninstall: also remove the Python original's hooks. */
  includeLegacy?: boolean;
  /** Plan and report only; write nothing. */
  dryRun?: boolean;
  /** How the CLI was started, for the commands the next steps name (`codex-self-evolution` or `npx …`). */
  self: string;
}

/** One line of a human-readable report; the CLI maps the tone to its colours. */
export interface ReportLine {
  text: string;
  tone?: 'bold' | 'green' | 'yellow';
}

/** What an install or uninstall did (or would do, on a dry run). */
export interface InstallOutcome {
  /** `installed`, `unchanged`, `removed`, `not_installed`, `dry_run`... */
  status: string;
  /** Whether any file was (or would be) changed. */
  changed: boolean;
  /** The agent's fields of the `--json` answer, in order. */
  json: Record<string, unknown>;
  /** The agent's part of the human report, before the common notes. */
  lines: ReportLine[];
  /** Problems to show after the report (the CLI adds its own). */
  warnings: string[];
  /** What the user still has to do for the hooks to run (e.g. trust them), one step a line. */
  nextSteps: string[];
}

/** What `status` reports about an agent's hooks. Never throws: problems go to `error`. */
export interface AgentStatus {
  agent: AgentName;
  configDir: string;
  /** The file our hooks are written in. */
  hooksFile: string;
  /** Per installed event: whether our hook is there. */
  installed: Partial<Record<HookEvent, boolean>>;
  /** Per installed event: the command the agent runs, or null. */
  commands: Partial<Record<HookEvent, string | null>>;
  error: string | null;
  /** Agent-specific facts (trust, legacy entries...), shown as they are. */
  details: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// The adapter

/**
 * Everything this tool needs to know about one agent. Members used by the hooks are synchronous
 * and light; the others may load their modules on first use (dynamic import), so a hook never
 * loads the transcript reader or the installer.
 */
export interface AgentAdapter {
  /** Registry key, e.g. `codex`. */
  readonly name: AgentName;
  /** Name shown to people, e.g. `Codex`, `Claude Code`. */
  readonly displayName: string;
  /** Most characters a hook's injected context may hold before the agent truncates it. */
  readonly maxContextChars: number;

  /** The neutral fields of any hook payload. Never throws. */
  hookInput(event: HookEvent, payload: Record<string, unknown>): HookInput;
  /** The finished turn a Stop (or SessionEnd) payload describes. Never throws. */
  stopTurn(payload: Record<string, unknown>): StopTurn;
  /**
   * The hook's stdout for an event: `context` injected (session-start, prompt-recall), or the
   * answer that changes nothing when `context` is undefined. The stop-review and session-end
   * hooks never inject and never print anything that continues or blocks the conversation.
   * Printed followed by a newline, unless empty.
   */
  hookOutput(event: HookEvent, context?: string): string;

  /**
   * Reads a session transcript (from the hook's transcript path, or a file `findSessions` found),
   * the tail only when it is larger than `maxBytes`. Refuses anything but a regular file.
   * @throws {TranscriptReadError} (core/agents/transcript-file.ts) when missing or unreadable.
   */
  readTranscript(path: string, options?: { maxBytes?: number }): Promise<ReadTranscript>;
  /** The folder `import` searches for past sessions, under the agent's config directory. */
  sessionsDir(configDir: string): string;
  /** Past sessions under `sessionsDir(configDir)`, in no particular order. */
  findSessions(configDir: string): Promise<SessionFile[]>;

  /**
   * The agent's config directory: `override`, else the agent's environment variable (Codex:
   * `CODEX_HOME`, Claude Code: `CLAUDE_CONFIG_DIR`), else its default under the home directory.
   */
  configDir(override?: string, env?: NodeJS.ProcessEnv): string;
  /** Writes our hooks into the agent's configuration (merged, idempotent, with a backup). */
  install(request: InstallRequest): Promise<InstallOutcome>;
  /** Removes our hooks (and our trust entries), leaving everything else as it was. */
  uninstall(request: InstallRequest): Promise<InstallOutcome>;
  /** Which of our hooks are installed (read-only). */
  status(configDir: string): Promise<AgentStatus>;
  /** Where the agent loads user skills (`<dir>/<name>/SKILL.md`). */
  skillsDir(configDir: string): string;
}
