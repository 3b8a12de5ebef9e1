#!/usr/bin/env bash
# Team catalogue benchmark (see catalog-pg.mjs): reads on 10,000 images and concurrent adds from two nodes, on
# PostgreSQL side by side with SQLite. Needs Debian's PostgreSQL server (apt-get install postgresql-15); builds
# the workspace if the CLI, the core or the testkit is not built yet, then runs.
#   bash bench/catalog-pg.sh [--rounds 7] [--only read,adds] [--images 10000] [--adds 8] [--json out.json] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || [ -n "${SREGISTRY_TEST_PG_BIN:-}" ] ||
  { echo "bench/catalog-pg.sh needs PostgreSQL's server programs: apt-get install postgresql-15" >&2; exit 1; }
if [ ! -f packages/cli/dist/commands/images.js ] || [ ! -f packages/core/dist/catalog/index.js ] || [ ! -f packages/testkit/dist/postgres/index.js ]; then
  bash scripts/build-locked.sh
fi
exec node bench/catalog-pg.mjs "$@"
