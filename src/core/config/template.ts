/**
 * The file `config init` writes, fixed where the Python package was wrong:
 * - the `deepseek` and `gemini` base URLs end in `/chat/completions` (URLs are used verbatim; the
 *   original's stopped at `/v1` and every request 404ed);
 * - the active profile is `local` (the offline reviewer), so writing the template changes nothing
 *   until `config use <profile>` picks a hosted reviewer whose key is set;
 * - the agent-CLI reviewers are `codex`, `claude` and `opencode` (the Python package's `codex-cli` /
 *   `opencode-cli` profiles are not read); they run the user's logged-in CLI (docs/reviewers.md);
 * - `[compile]` and friends are real settings now, read by the compiler, scheduler and recall.
 */

/** The template text. It parses cleanly and produces no warnings (a test checks both). */
export const CONFIG_TEMPLATE = `# codex-self-evolution configuration (schema 2).
# Keys never go in this file: put them in the environment or in <home>/.env.provider, and name the
# variable in api_key_env when it is not the provider's default (OPENAI_API_KEY, ANTHROPIC_API_KEY,
# MINIMAX_API_KEY). Switch profiles with: codex-self-evolution config use <profile>
#
# Which reviewer runs, first match wins: the Stop payload's reviewer_provider, then
# $CODEX_SELF_EVOLUTION_REVIEWER_PROVIDER, then the active profile below, then "local".
# A profile's model, base_url and api_key_env apply only when its provider is the one running.
schema_version = 2
active_profile = "local"

# Offline heuristic reviewer: no network, no key.
[profiles.local]
provider = "local"

# The agent CLI you are logged in to reviews each turn (one small model call per non-trivial
# turn, at most [review] max_per_day a day). Settings in [review.codex] etc. below.
[profiles.codex]
provider = "codex"

[profiles.claude]
provider = "claude"

[profiles.opencode]
provider = "opencode"

[profiles.minimax]
provider = "minimax"
model = ""                 # "" → $MINIMAX_REVIEW_MODEL, else MiniMax-M2.7
base_url = ""              # "" → $MINIMAX_BASE_URL, else by $MINIMAX_REGION (cn → api.minimaxi.com)
api_key_env = ""           # "" → MINIMAX_API_KEY
timeout_seconds = 30.0
max_tokens = 4096
max_retries = 2
retry_backoff = [2.0, 5.0]

[profiles.openai]
provider = "openai-compatible"
model = ""                 # "" → $OPENAI_REVIEW_MODEL, else gpt-4.1-mini
base_url = ""              # "" → $OPENAI_BASE_URL, else https://api.openai.com/v1/chat/completions
api_key_env = ""           # "" → OPENAI_API_KEY
timeout_seconds = 30.0
max_tokens = 4096

[profiles.anthropic]
provider = "anthropic-style"
model = ""                 # "" → $ANTHROPIC_REVIEW_MODEL, else claude-3-5-haiku-latest
base_url = ""              # "" → $ANTHROPIC_BASE_URL, else https://api.anthropic.com/v1/messages
api_key_env = ""           # "" → ANTHROPIC_API_KEY
timeout_seconds = 30.0
max_tokens = 4096

[profiles.glm]
provider = "anthropic-style"
model = "glm-5"
base_url = "https://open.bigmodel.cn/api/anthropic/v1/messages"
api_key_env = "ZHIPU_API_KEY"
timeout_seconds = 60.0
max_tokens = 4096
max_retries = 2
retry_backoff = [3.0, 8.0]

[profiles.kimi]
provider = "anthropic-style"
model = "kimi-k2.6"
base_url = "https://api.kimi.com/coding/v1/messages"
api_key_env = "KIMI_API_KEY"
timeout_seconds = 60.0
max_tokens = 4096

[profiles.deepseek]
provider = "openai-compatible"
model = "deepseek-chat"
base_url = "https://api.deepseek.com/v1/chat/completions"
api_key_env = "DEEPSEEK_API_KEY"
timeout_seconds = 60.0
max_tokens = 4096

[profiles.gemini]
provider = "openai-compatible"
model = "gemini-2.5-flash"
base_url = "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions"
api_key_env = "GEMINI_API_KEY"
timeout_seconds = 60.0
max_tokens = 4096

[compile]
backend = "script"         # "script" (deterministic) or "agent:opencode"
allow_fallback = true      # agent failures fall back to script

[compile.opencode]
model = ""                 # "" → opencode's default; $CODEX_SELF_EVOLUTION_OPENCODE_MODEL overrides
agent = ""                 # $CODEX_SELF_EVOLUTION_OPENCODE_AGENT overrides
timeout_seconds = 900.0    # kept below the compile lock's stale window

[scheduler]
backend = "agent:opencode"
interval_seconds = 300

[recall]
top_k = 5                  # results of \`recall\` without --top-k

[session_start]
budget_chars = 8000        # size of the text injected at session start

[log]
retention_days = 14

[team]
enabled = true             # read the shared store (.codex-self-evolution/) of the checkout
auto_share = false         # true: write eligible entries into the working tree after each compile

[review]
max_per_day = 200          # model reviews (agent CLI or HTTP) per day; further turns wait a day

[review.codex]
path = ""                  # "" → codex on PATH
model = ""                 # "" → your Codex default; a small model keeps reviews cheap
timeout_seconds = 180.0
reasoning_effort = "low"   # "" → your Codex setting

[review.claude]
path = ""                  # "" → claude on PATH
model = ""                 # "" → Claude Code's default; e.g. a Haiku model is cheap
timeout_seconds = 180.0

[review.opencode]
path = ""                  # "" → opencode on PATH
model = ""                 # "" → opencode's default model (provider/model)
timeout_seconds = 180.0
`;
