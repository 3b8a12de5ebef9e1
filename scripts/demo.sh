#!/usr/bin/env bash
# The main job against an embedded default: a fake Singularity Registry Server from the testkit on 127.0.0.1,
# a throw-away HOME, the registry backend linked as a plugin, then search, pull, push and the local catalogue.
# No network is used after the install.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
bash scripts/bootstrap.sh
export PATH="$ROOT/.tools/node_modules/.bin:$PATH"

DEMO="$ROOT/.demo"
rm -rf "$DEMO" && mkdir -p "$DEMO/home"
export HOME="$DEMO/home" XDG_DATA_HOME="$DEMO/home/.local/share" XDG_CACHE_HOME="$DEMO/home/.cache" XDG_CONFIG_HOME="$DEMO/home/.config"
unset SREGISTRY_CLIENT SREGISTRY_CLIENT_SECRETS SREGISTRY_DATABASE SREGISTRY_STORAGE SREGISTRY_REGISTRY_BASE SREGISTRY_REGISTRY_TOKEN SREGISTRY_REGISTRY_USERNAME

node packages/testkit/bin/sregistry-testkit.js serve --port 0 --data "$DEMO/registry" --print-secrets "$HOME/.sregistry" >"$DEMO/registry.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q listening "$DEMO/registry.log" && break; sleep 0.1; done
grep listening "$DEMO/registry.log"

sregistry() { echo; echo "\$ sregistry $*"; node "$ROOT/packages/cli/bin/run.js" "$@"; }
sregistry plugins link packages/backend-registry --no-install 2>/dev/null || sregistry plugins link packages/backend-registry
sregistry backend activate registry
sregistry backend ls
sregistry search
sregistry pull vanessa/tacos:latest
sregistry pull dinosaur/secret:latest
sregistry images
sregistry inspect vanessa/tacos:latest
sregistry push "$(node "$ROOT/packages/cli/bin/run.js" get vanessa/tacos:latest)" --name dinosaur/tacos-copy:v1
sregistry search dinosaur/tacos-copy:v1
sregistry rmi vanessa/tacos:latest
sregistry images
echo
echo "Demo finished. Everything lived in $DEMO (delete it when you like)."
