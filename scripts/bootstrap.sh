#!/usr/bin/env bash
# Installs the pinned pnpm into .tools/ (no global install needed), then the workspace, then builds it.
# Safe to run again: every step is a no-op when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
export npm_config_nodedir="${npm_config_nodedir:-/usr}"   # better-sqlite3 compiles against the local Node headers
PNPM_VERSION=12.4.2
if [ ! -x .tools/node_modules/.bin/pnpm ] || [ "$(.tools/node_modules/.bin/pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "› installing pnpm $PNPM_VERSION into .tools/" >&2
  npm install --no-save --no-package-lock --silent --prefix .tools -E "pnpm@$PNPM_VERSION" >&2
fi
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
echo "› pnpm install" >&2
if [ "${CI:-}" = "true" ]; then pnpm install --frozen-lockfile >&2; else pnpm install >&2; fi
echo "› build" >&2
pnpm run -s build >&2
