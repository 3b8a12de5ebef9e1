#!/usr/bin/env bash
# The one test command (README, CI): installs what is missing, builds, checks release notes and lint, runs every test.
# Test servers (fake Registry Server and Hub, verdaccio) are started by the tests themselves on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
# Release notes: every changed package needs a changeset. changesets compares with the local `main` branch, which a
# clone of main has (even --depth 1) but a detached CI checkout of another ref may not: then say so and go on.
if git rev-parse --verify --quiet main >/dev/null 2>&1; then
  pnpm changeset status >&2
else
  echo "› changeset status skipped: no local main branch to compare with" >&2
fi
echo "› lint (biome)" >&2
pnpm run -s lint >&2
bash scripts/run-tests.sh "$@"
