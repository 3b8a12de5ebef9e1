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
# Tests must leave $TMPDIR as they found it. The run gets a folder of its own inside $TMPDIR (so other runs on the
# same machine cannot be mistaken for leftovers) that must be as it was at the start when the tests end.
run_tmp="$(mktemp -d "${TMPDIR:-/tmp}/sregistry-tests-XXXXXX")"
trap 'rm -f "$tap"; rm -rf "$run_tmp"' EXIT
# tsx keeps its transform cache in $TMPDIR/tsx-<uid> and has no setting to move it (only TSX_DISABLE_CACHE, which
# transforms every file again in every test process): it goes to the checkout's ignored .tmp/ through a link
mkdir -p .tmp/tsx-cache
ln -s "$PWD/.tmp/tsx-cache" "$run_tmp/tsx-$(id -u)"
before="$(LC_ALL=C ls -A "$run_tmp")"
export TMPDIR="$run_tmp"
status=0
node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" "${files[@]}" || status=$?
grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$tap" || true
leftovers="$(comm -13 <(printf '%s\n' "$before") <(LC_ALL=C ls -A "$run_tmp"))"
if [ -n "$leftovers" ]; then
  echo "✖ the tests left files in \$TMPDIR (each test must remove what it creates): $(echo $leftovers)" >&2
  status=1
fi
exit "$status"
