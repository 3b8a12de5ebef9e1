#!/usr/bin/env bash
# Every benchmark, one after the other (`npm run bench`). Arguments go to each bench; add new ones below.
set -euo pipefail
cd "$(dirname "$0")/.."
bash bench/transfer.sh "$@"
