// The environment a benchmarked CLI runs in: a throw-away HOME with its XDG folders (oclif's data and cache, the
// compile cache) inside it, and nothing else from the caller's environment but PATH.
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export function homeEnv(home) {
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
  };
}

/**
 * The environment of a CLI that talks to the testkit registry: `home` gets the secrets file a registry's token
 * page hands out, the backend is `registry`, and linked plugins run from their built dist/ (no-autotranspile.cjs).
 */
export function registryEnv(home, registry) {
  writeFileSync(
    path.join(home, '.sregistry'),
    JSON.stringify({ registry: { token: registry.token, username: registry.username, base: registry.url } }),
    { mode: 0o600 },
  );
  return {
    ...homeEnv(home),
    SREGISTRY_CLIENT: 'registry',
    NODE_OPTIONS: `--require ${path.join(import.meta.dirname, 'no-autotranspile.cjs')}`,
  };
}
