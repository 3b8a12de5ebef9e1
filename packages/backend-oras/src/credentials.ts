// Registry credentials where the container ecosystem keeps them: $DOCKER_CONFIG/config.json (else
// ~/.docker/config.json), then Apptainer's ~/.apptainer/docker-config.json. An entry is `auths[host].auth`
// (base64 user:password) or username/password; `credHelpers[host]` or `credsStore` name a
// `docker-credential-<name>` program that answers `get` with {Username, Secret}. Login writes the first file, or,
// when that names a helper for the host, hands the login to the helper (`store`; logout: `erase`), as docker does.
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

/**
 * The registry a Docker config key names, as docker reads keys (ConvertToHostname): older tools filed logins
 * under URLs (`https://host/v1/`, `http://host:5000/v2/`, `host/`), so the scheme and everything from the first
 * `/` after the host are dropped. Logins are written under the plain host.
 */
export function configKey(key: string): string {
  const at = key.indexOf('://');
  return (at >= 0 ? key.slice(at + 3) : key).split('/')[0];
}

/** The keys of `auths` that hold `registry`'s login: the plain host first, then any older spelling of it. */
function keysFor(auths: DockerConfig['auths'], registry: string): string[] {
  const keys = Object.keys(auths ?? {});
  return [...keys.filter((k) => k === registry), ...keys.filter((k) => k !== registry && configKey(k) === registry)];
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

/** How a `docker-credential-<name>` run ended: its output, or why it did not run. */
interface HelperRun {
  ok: boolean;
  /** the program is not on PATH */
  missing: boolean;
  stdout: string;
  /** the helper's own first line of complaint (helpers print errors on stdout or stderr), for messages */
  reason: string;
}

/** Runs `docker-credential-<helper> <action>` with `input` on stdin, as docker's credential-helpers client does. */
function execHelper(helper: string, action: 'get' | 'store' | 'erase', input: string, env: Env): Promise<HelperRun> {
  return new Promise((resolve) => {
    const child = execFile(
      `docker-credential-${helper}`,
      [action],
      { env: env as NodeJS.ProcessEnv, timeout: 30_000 },
      (error, stdout, stderr) => {
        const said = `${String(stdout)}\n${String(stderr)}`.split('\n').find((l) => l.trim() !== '') ?? '';
        if (!error) {
          resolve({ ok: true, missing: false, stdout: String(stdout), reason: '' });
          return;
        }
        const code = (error as { code?: unknown }).code;
        const killed = (error as { killed?: boolean }).killed;
        const reason = said.trim() || (killed ? 'no answer in 30 s' : `exit ${String(code)}`);
        resolve({ ok: false, missing: code === 'ENOENT', stdout: String(stdout), reason });
      },
    );
    // a helper that exits before reading its input must not fail the command with EPIPE
    child.stdin?.on('error', () => {});
    child.stdin?.end(input);
  });
}

function notInstalled(host: Host, helper: string, file: string): Error {
  return new host.UserError(`the credential helper docker-credential-${helper} is not installed`, {
    fix: `install it, or remove "${helper}" from ${file}`,
    code: 'ECREDHELPER',
  });
}

/** docker-credential-helpers' answer when a host has no login ("credentials not found in native keychain"). */
const NOT_FOUND = /credentials not found/i;

function runHelper(
  host: Host,
  store: { helper: string; key: string },
  registry: string,
  file: string,
  env: Env,
  known: (string | undefined)[] = [],
): Promise<Credential | undefined> {
  const program = `docker-credential-${store.helper}`;
  return execHelper(store.helper, 'get', registry, env).then((run) => {
    if (run.missing) throw notInstalled(host, store.helper, file);
    // "credentials not found" is the helper's way of saying there is no login for this host; any other failure
    // is the helper's own, and docker stops there too rather than going on without the login
    if (!run.ok && NOT_FOUND.test(run.reason)) return undefined;
    if (!run.ok) {
      throw new host.UserError(`${program} could not get the login for ${registry} (${helperReason(host, run.reason, known)})`, {
        fix: `check that the helper works (${program} list), or remove ${store.key} from ${file}`,
        code: 'ECREDHELPER',
      });
    }
    try {
      const answer = JSON.parse(run.stdout) as { Username?: string; Secret?: string };
      return answer.Username && answer.Secret ? { username: answer.Username, password: answer.Secret, source: program } : undefined;
    } catch {
      return undefined;
    }
  });
}

/** The helper that keeps `registry`'s login, as docker picks it: `credHelpers[registry]`, else `credsStore`. */
function helperFor(config: DockerConfig, registry: string): { helper: string; key: string } | undefined {
  const own = config.credHelpers?.[registry];
  if (typeof own === 'string' && own !== '') return { helper: own, key: `credHelpers["${registry}"]` };
  if (typeof config.credsStore === 'string' && config.credsStore !== '') return { helper: config.credsStore, key: 'credsStore' };
  return undefined;
}

/** The credential for `registry` (host[:port]), or undefined: anonymous access. */
export async function findCredential(host: Host, registry: string, env: Env = process.env): Promise<Credential | undefined> {
  for (const file of configFiles(env)) {
    const config = readConfig(host, file);
    if (!config) continue;
    // docker's order: a file that names a helper for the host (credHelpers[host], else credsStore) keeps its login
    // there alone, and its auths entry (docker login leaves `{}`) is not read; otherwise the auths entry
    const store = helperFor(config, registry);
    if (store) {
      const stored = await runHelper(host, store, registry, file, env, passwordsIn(config.auths, registry, file));
      if (stored) return stored;
      continue;
    }
    const [found] = loginsIn(config.auths, registry, file);
    if (found) return found;
  }
  return undefined;
}

/** Helper output in a message: one line of server-like text, never the secret it may echo. */
function helperReason(host: Host, reason: string, secrets: (string | undefined)[] = []): string {
  let masked = reason;
  for (const secret of secrets) if (secret) masked = masked.split(secret).join('***');
  return host.printable(masked, { max: 120 });
}

/** The logins a config file's `auths` holds for `registry`, in the order its keys are tried (keysFor). */
function loginsIn(auths: DockerConfig['auths'], registry: string, file: string): Credential[] {
  return keysFor(auths, registry).flatMap((key) => {
    const entry = auths?.[key];
    const found = entry && fromEntry(entry, file);
    return found ? [found] : [];
  });
}

/** The passwords a config file itself holds for `registry` (older logins in `auths`): a helper may echo them too. */
function passwordsIn(auths: DockerConfig['auths'], registry: string, file: string): string[] {
  return loginsIn(auths, registry, file).map((login) => login.password);
}

/**
 * login/logout: rewrites the Docker config atomically (mode 0600), keeping every other entry and key. The read, the
 * change and the write happen under the file's lock, so two logins at once (two registries, two terminals) both end
 * up in the file instead of the later write dropping the other's entry. When the config names a credential helper
 * for the registry (`credHelpers[registry]`, else `credsStore`), the secret goes to it (`store`, `erase`) and the
 * file keeps only an empty `auths` entry, as docker login leaves it; a helper that fails changes nothing.
 */
export async function updateLogin(
  host: Host,
  registry: string,
  login: { username: string; password: string } | undefined,
  env: Env = process.env,
): Promise<{ file: string; changed: boolean; helper?: string }> {
  const file = dockerConfigFile(env);
  // the folder first: the lock is made beside the file
  if (login) fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const change = async () => {
    const config = readConfig(host, file) ?? {};
    const auths = { ...(config.auths ?? {}) };
    const store = helperFor(config, registry);
    const program = store && `docker-credential-${store.helper}`;
    let erased = false;
    let changed = false;
    if (store && login) {
      const stored = await execHelper(
        store.helper,
        'store',
        JSON.stringify({ ServerURL: registry, Username: login.username, Secret: login.password }),
        env,
      );
      if (stored.missing) throw notInstalled(host, store.helper, file);
      if (!stored.ok) {
        throw new host.UserError(
          `${program} could not store the login for ${registry} (${helperReason(host, stored.reason, [login.password, ...passwordsIn(auths, registry, file)])})`,
          {
            fix: `check that the helper works (${program} list), or remove ${store.key} from ${file} to keep the login in that file`,
            code: 'ECREDHELPER',
          },
        );
      }
    }
    if (store && !login) {
      const run = await execHelper(store.helper, 'erase', registry, env);
      if (run.missing) throw notInstalled(host, store.helper, file);
      erased = run.ok;
      if (!run.ok && !NOT_FOUND.test(run.reason)) {
        throw new host.UserError(
          `${program} could not erase the login for ${registry} (${helperReason(host, run.reason, passwordsIn(auths, registry, file))})`,
          {
            fix: `check that the helper works (${program} list), then log out again; ${file} was left as it was`,
            code: 'ECREDHELPER',
          },
        );
      }
    }
    for (const key of keysFor(auths, registry)) {
      delete auths[key];
      changed = true;
    }
    if (login) {
      // with a helper the file keeps an empty entry (docker's: the login is the helper's), else the login itself
      auths[registry] = store ? {} : { auth: Buffer.from(`${login.username}:${login.password}`).toString('base64') };
      changed = true;
    }
    if (changed) await host.writeFileAtomic(file, `${JSON.stringify({ ...config, auths }, null, '\t')}\n`, 0o600);
    return { file, changed: changed || erased, helper: program };
  };
  // a core before host API 1.4.0 has no file lock: the change runs unlocked, as it did then
  if (typeof host.withFileLock !== 'function') return change();
  return host.withFileLock(file, change, { what: `The Docker config ${file}`, code: 'ECONFIG' });
}
