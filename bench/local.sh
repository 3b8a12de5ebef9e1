#!/usr/bin/env bash
# Local benchmark (see local.mjs): start-up, catalogue scale, SIF reader, add --copy. Builds the workspace if the
# CLI, the core or the testkit is not built yet, then runs.
#   bash bench/local.sh [--rounds 7] [--only startup,catalogue,sif,add] [--images 10000] [--gib 1] [--json out.json] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v sha256sum >/dev/null || { echo "bench/local.sh needs sha256sum (coreutils)" >&2; exit 1; }
if [ ! -f packages/cli/dist/commands/images.js ] || [ ! -f packages/core/dist/catalog/index.js ] || [ ! -f packages/testkit/dist/sif-writer.js ]; then
  bash scripts/build-locked.sh
fi
exec node bench/local.mjs "$@"
