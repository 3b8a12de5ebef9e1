#!/usr/bin/env bash
# Runs every test file (node's test runner through tsx). Pass file paths to run only those.
set -euo pipefail
cd "$(dirname "$0")/.."
export TSX_TSCONFIG_PATH=tsconfig.base.json
if [ "$#" -gt 0 ]; then files=("$@"); else
  mapfile -t files < <(find packages -path '*/node_modules' -prune -o -path '*/test/*' -name '*.test.ts' -print | sort)
fi
exec node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" "${files[@]}"
