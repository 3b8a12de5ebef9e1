#!/usr/bin/env bash
# Transfer benchmark (see transfer.mjs): builds the workspace if the CLI or the testkit is not built yet, then runs.
#   bash bench/transfer.sh [--sizes 64,512,1024] [--rounds 3] [--json out.json] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v curl >/dev/null || { echo "bench/transfer.sh needs curl" >&2; exit 1; }
if [ ! -f packages/cli/dist/commands/pull.js ] || [ ! -f packages/testkit/dist/index.js ] || [ ! -f packages/backend-registry/dist/backend.js ]; then
  bash scripts/build-locked.sh
fi
exec node bench/transfer.mjs "$@"
