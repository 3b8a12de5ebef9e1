#!/usr/bin/env bash
# library:// benchmark (see library.mjs): needs curl; builds the workspace if needed.
#   bash bench/library.sh [--sizes 512] [--rounds 3] [--part-size BYTES] [--json out.json]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v curl >/dev/null || { echo "bench/library.sh needs curl" >&2; exit 1; }
if [ ! -f packages/cli/dist/commands/pull.js ] || [ ! -f packages/testkit/dist/index.js ] || [ ! -f packages/backend-library/dist/backend.js ]; then
  bash scripts/build-locked.sh
fi
exec node bench/library.mjs "$@"
