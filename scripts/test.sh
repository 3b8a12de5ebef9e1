#!/usr/bin/env bash
# The one test command (README, CI): installs what is missing, builds, checks release notes and lint, runs every test.
# Test servers (fake Registry Server and Hub, verdaccio) are started by the tests themselves on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# The oras backend's tests run against a real OCI registry (Debian's docker-registry, Distribution 2.8) and make
# their certificates with openssl. CI runs as root on Debian: install what is missing (the tests fail loudly in CI
# when the registry is absent; elsewhere they skip with the reason).
missing=()
[ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
command -v openssl >/dev/null || missing+=(openssl)
# gpg checks our OpenPGP signatures independently (packages/core/test/sif-signature-sign.test.ts)
command -v gpg >/dev/null || missing+=(gnupg)
# siftool (Debian's build of sylabs/sif, an independent SIF implementation) cross-checks our SIF reader and writer
command -v siftool >/dev/null || missing+=(siftool)
# the catalogue's suites also run against a real PostgreSQL 15 (packages/testkit/src/postgres), started by the tests
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql-15)
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "› apt-get install ${missing[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
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
