#!/usr/bin/env bash
# Builds the workspace under a lock, so several shells (or engineers) building at once do not interleave.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
exec flock /tmp/sregistry-build.lock pnpm run -s build
