// Registry credentials where the container ecosystem keeps them: $DOCKER_CONFIG/config.json (else
// ~/.docker/config.json), then Apptainer's ~/.apptainer/docker-config.json. An entry is `auths[host].auth`
// (base64 user:password) or username/password; `credHelpers[host]` or `credsStore` name a
// `docker-credential-<name>` program that answers `get` with {Username, Secret}. Login writes the first file.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Host } from './host';

export interface Credential {
  username: string;
  password: string;
  /** the file or helper it came from, for messages (never the secret) */
  source: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; [key: string]: unknown }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

type Env = Record<string, string | undefined>;

/** The registry a login or logout names: `host[:port]`, without a scheme or trailing slashes the user may type. */
export function registryArgument(text: string): string {
  return text.replace(/^(oras|https?):\/\//, '').replace(/\/+$/, '');
}

/** The Docker config that login writes and that is read first. */
export function dockerConfigFile(env: Env = process.env): string {
  const home = env.HOME || os.homedir();
  return path.join(env.DOCKER_CONFIG || path.join(home, '.docker'), 'config.json');
}

function configFiles(env: Env): string[] {
  const home = env.HOME || os.homedir();
  return [dockerConfigFile(env), path.join(home, '.apptainer', 'docker-config.json')];
}

function readConfig(host: Host, file: string): DockerConfig | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as DockerConfig;
  } catch {
    // reported below
  }
  throw new host.UserError(`${file} is not valid JSON`, { fix: 'fix or remove the file (it holds registry logins)', code: 'ECONFIG' });
}

/** The keys a host may be filed under (Docker writes bare hosts; older tools wrote URLs). */
function keysFor(registry: string): string[] {
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

function fromEntry(entry: NonNullable<DockerConfig['auths']>[string], source: string): Credential | undefined {
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const at = decoded.indexOf(':');
    if (at > 0) return { username: decoded.slice(0, at), password: decoded.slice(at + 1), source };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string')
    return { username: entry.username, password: entry.password, source };
  return undefined;
}

function runHelper(host: Host, helper: string, registry: string, env: Env): Promise<Credential | undefined> {
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = execFile(program, ['get'], { env: env as NodeJS.ProcessEnv, timeout: 30_000 }, (error, stdout) => {
      if (error) {
        // "credentials not found" is the helper's way of saying there is no login for this host
        if ((error as { code?: unknown }).code === 'ENOENT') {
          reject(
            new host.UserError(`the credential helper ${program} is not installed`, {
              fix: `install it, or remove "${helper}" from ${dockerConfigFile(env)}`,
              code: 'ECREDHELPER',
            }),
          );
        } else resolve(undefined);
        return;
      }
      try {
        const answer = JSON.parse(stdout) as { Username?: string; Secret?: string };
        resolve(answer.Username && answer.Secret ? { username: answer.Username, password: answer.Secret, source: program } : undefined);
      } catch {
        resolve(undefined);
      }
    });
    child.stdin?.end(registry);
  });
}

/** The credential for `registry` (host[:port]), or undefined: anonymous access. */
export async function findCredential(host: Host, registry: string, env: Env = process.env): Promise<Credential | undefined> {
  for (const file of configFiles(env)) {
    const config = readConfig(host, file);
    if (!config) continue;
    const helper = config.credHelpers?.[registry];
    if (helper) return runHelper(host, helper, registry, env);
    for (const key of keysFor(registry)) {
      const entry = config.auths?.[key];
      const found = entry && fromEntry(entry, file);
      if (found) return found;
    }
    if (config.credsStore) {
      const stored = await runHelper(host, config.credsStore, registry, env);
      if (stored) return stored;
    }
  }
  return undefined;
}

/**
 * login/logout: rewrites the Docker config atomically (mode 0600), keeping every other entry and key. The read, the
 * change and the write happen under the file's lock, so two logins at once (two registries, two terminals) both end
 * up in the file instead of the later write dropping the other's entry.
 */
export async function updateLogin(
  host: Host,
  registry: string,
  login: { username: string; password: string } | undefined,
  env: Env = process.env,
): Promise<{ file: string; changed: boolean }> {
  const file = dockerConfigFile(env);
  // the folder first: the lock is made beside the file
  if (login) fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const change = async () => {
    const config = readConfig(host, file) ?? {};
    const auths = { ...(config.auths ?? {}) };
    let changed = false;
    for (const key of keysFor(registry)) {
      if (key in auths) {
        delete auths[key];
        changed = true;
      }
    }
    if (login) {
      auths[registry] = { auth: Buffer.from(`${login.username}:${login.password}`).toString('base64') };
      changed = true;
    }
    if (changed) await host.writeFileAtomic(file, `${JSON.stringify({ ...config, auths }, null, '\t')}\n`, 0o600);
    return { file, changed };
  };
  // a core before host API 1.4.0 has no file lock: the change runs unlocked, as it did then
  if (typeof host.withFileLock !== 'function') return change();
  return host.withFileLock(file, change, { what: `The Docker config ${file}`, code: 'ECONFIG' });
}
