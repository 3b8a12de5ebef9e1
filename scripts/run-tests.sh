#!/usr/bin/env bash
# Runs every test file (node's test runner through tsx). Pass file paths to run only those.
# The report is node's spec reporter (a line per test, failures in full at the end); a TAP copy of the same run
# gives the closing lines, the runner's totals (# tests, # pass, # fail, …), which CI reads.
set -euo pipefail
cd "$(dirname "$0")/.."
export TSX_TSCONFIG_PATH=tsconfig.base.json
if [ "$#" -gt 0 ]; then files=("$@"); else
  mapfile -t files < <(find packages -path '*/node_modules' -prune -o -path '*/test/*' -name '*.test.ts' -print | sort)
fi
mkdir -p .tmp
tap="$(mktemp .tmp/test-run-XXXXXX.tap)"
trap 'rm -f "$tap"' EXIT
status=0
node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" "${files[@]}" || status=$?
grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$tap" || true
exit "$status"
