#!/usr/bin/env bash
# The one test command (README, CI): installs what is missing, builds, checks release notes, runs every test.
# Test servers (fake Registry Server and Hub, verdaccio) are started by the tests themselves on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
bash scripts/run-tests.sh "$@"
