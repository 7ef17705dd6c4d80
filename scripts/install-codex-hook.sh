#!/bin/sh
# Installs the codex-self-evolution hooks into $CODEX_HOME/hooks.json (default ~/.codex).
# A thin wrapper around `codex-self-evolution install`; every flag is passed through:
#   --trust         also write the hooks' trust entries into $CODEX_HOME/config.toml
#   --via-npx       hooks run `npx -y codex-self-evolution@<version>` instead of this package
#   --dry-run       print the planned change, write nothing
#   --codex-home D  use D instead of $CODEX_HOME
#   --json          machine-readable output
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
if [ ! -f "$root/dist/cli/main.js" ]; then
  echo "install-codex-hook: $root/dist is missing; run 'npm ci' (or 'npm run build') in $root first" >&2
  exit 1
fi
exec node "$root/bin/codex-self-evolution.js" install "$@"
