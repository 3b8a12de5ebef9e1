#!/usr/bin/env bash
# oras:// benchmark (see oras.mjs): needs curl and Debian's docker-registry; builds the workspace if needed.
#   bash bench/oras.sh [--sizes 512] [--rounds 3] [--json out.json]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v curl >/dev/null || { echo "bench/oras.sh needs curl" >&2; exit 1; }
[ -x "${SREGISTRY_TEST_DOCKER_REGISTRY:-/usr/bin/docker-registry}" ] || { echo "bench/oras.sh needs docker-registry: apt-get install docker-registry" >&2; exit 1; }
if [ ! -f packages/cli/dist/commands/pull.js ] || [ ! -f packages/testkit/dist/index.js ] || [ ! -f packages/backend-oras/dist/backend.js ]; then
  bash scripts/build-locked.sh
fi
exec node bench/oras.mjs "$@"
