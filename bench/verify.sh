#!/usr/bin/env bash
# Signature verification benchmark (see verify.mjs): `sregistry verify` of a signed SIF with a 1 GiB partition
# against `sha256sum` of the same file. Builds the workspace first if the CLI, core or testkit is not built.
#   bash bench/verify.sh [--rounds 5] [--gib 1] [--json out.json]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v sha256sum >/dev/null || { echo "bench/verify.sh needs sha256sum (coreutils)" >&2; exit 1; }
if [ ! -f packages/cli/dist/commands/verify.js ] || [ ! -f packages/core/dist/sif/signature/index.js ] || [ ! -f packages/testkit/dist/sif-writer.js ]; then
  bash scripts/build-locked.sh
fi
exec node bench/verify.mjs "$@"
