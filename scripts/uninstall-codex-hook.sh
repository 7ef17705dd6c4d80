#!/bin/sh
# Removes exactly the hooks `install` added to $CODEX_HOME/hooks.json (and their trust entries).
# A thin wrapper around `codex-self-evolution uninstall`; every flag is passed through:
#   --include-legacy  also remove hooks of the Python codex-self-evolution-plugin
#   --dry-run         print the planned change, write nothing
#   --codex-home D    use D instead of $CODEX_HOME
#   --json            machine-readable output
# Learned state under ~/.codex-self-evolution is kept.
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
if [ ! -f "$root/dist/cli/main.js" ]; then
  echo "uninstall-codex-hook: $root/dist is missing; run 'npm ci' (or 'npm run build') in $root first" >&2
  exit 1
fi
exec node "$root/bin/codex-self-evolution.js" uninstall "$@"
