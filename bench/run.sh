#!/usr/bin/env bash
# Every benchmark, one after the other (`npm run bench`), or only one:
#   bash bench/run.sh [transfer|local|oras|library|verify|catalog-pg] [options]
# Without a name, the options go to every bench: local.mjs ignores options it does not know (--sizes), but
# transfer.mjs refuses local.mjs's (--only, --images, --gib), and --json would be written twice; give a name for
# those. Add new benches below.
set -euo pipefail
cd "$(dirname "$0")/.."
only=all
case "${1:-}" in
  transfer | local | oras | library | verify | catalog-pg | all) only=$1; shift ;;
esac
if [ "$only" = all ] || [ "$only" = transfer ]; then bash bench/transfer.sh "$@"; fi
if [ "$only" = all ] || [ "$only" = local ]; then bash bench/local.sh "$@"; fi
if [ "$only" = all ] || [ "$only" = verify ]; then bash bench/verify.sh "$@"; fi
if [ "$only" = all ] || [ "$only" = library ]; then bash bench/library.sh "$@"; fi
if [ "$only" = catalog-pg ] || { [ "$only" = all ] && compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }; then
  bash bench/catalog-pg.sh "$@"
elif [ "$only" = all ]; then
  echo "bench/run.sh: catalog-pg bench skipped: no PostgreSQL server (apt-get install postgresql-15)" >&2
fi
if [ "$only" = oras ] || { [ "$only" = all ] && [ -x "${SREGISTRY_TEST_DOCKER_REGISTRY:-/usr/bin/docker-registry}" ]; }; then
  bash bench/oras.sh "$@"
elif [ "$only" = all ]; then
  echo "bench/run.sh: oras bench skipped: docker-registry is not installed (apt-get install docker-registry)" >&2
fi
