// Where Debian's PostgreSQL server programs are, and who runs them: initdb and postgres refuse to run as root, and
// CI runs as root, so there the server runs as an unprivileged account (nobody, or one made with useradd).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Debian's layout: /usr/lib/postgresql/<major>/bin; 15 is the version the issue and CI name. */
const DEBIAN_ROOT = '/usr/lib/postgresql';
const PREFERRED_MAJOR = '15';

export interface PostgresBinaries {
  bin: string;
  initdb: string;
  pgCtl: string;
  psql: string;
}

/** The server's bin folder: SREGISTRY_TEST_PG_BIN, else Debian's 15, else Debian's newest installed major. */
export function findPostgresBinaries(env: NodeJS.ProcessEnv = process.env): PostgresBinaries | undefined {
  const candidates: string[] = [];
  if (env.SREGISTRY_TEST_PG_BIN) candidates.push(env.SREGISTRY_TEST_PG_BIN);
  else {
    candidates.push(path.join(DEBIAN_ROOT, PREFERRED_MAJOR, 'bin'));
    let majors: string[] = [];
    try {
      majors = fs.readdirSync(DEBIAN_ROOT).filter((name) => /^\d+$/.test(name));
    } catch {
      // no Debian PostgreSQL at all
    }
    majors.sort((a, b) => Number(b) - Number(a));
    for (const major of majors) candidates.push(path.join(DEBIAN_ROOT, major, 'bin'));
  }
  for (const bin of candidates) {
    const found = { bin, initdb: path.join(bin, 'initdb'), pgCtl: path.join(bin, 'pg_ctl'), psql: path.join(bin, 'psql') };
    if ([found.initdb, found.pgCtl, found.psql, path.join(bin, 'postgres')].every(isExecutable)) return found;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Whether a PostgreSQL server can be started. Missing in CI (CI=true) is an error: the test script installs it;
 * elsewhere the caller skips with the reason.
 */
export function postgresAvailable(env: NodeJS.ProcessEnv = process.env): { ok: true } | { ok: false; reason: string } {
  if (findPostgresBinaries(env)) return { ok: true };
  const where = env.SREGISTRY_TEST_PG_BIN
    ? `${env.SREGISTRY_TEST_PG_BIN} has no initdb, pg_ctl, postgres and psql`
    : `no PostgreSQL server in ${DEBIAN_ROOT}/<version>/bin`;
  const reason = `${where}: apt-get install postgresql-15 (or set SREGISTRY_TEST_PG_BIN to a PostgreSQL bin folder)`;
  if (env.CI === 'true') throw new Error(`CI needs PostgreSQL: ${reason}`);
  return { ok: false, reason };
}

export interface ServerAccount {
  /** undefined: run as the current user (not root) */
  uid?: number;
  gid?: number;
  name: string;
}

const MADE_ACCOUNT = 'sregistry-test';
let account: ServerAccount | undefined;

/**
 * Who runs initdb and the server. Not root: the current user. Root: SREGISTRY_TEST_PG_USER, else `nobody`, else
 * an account `sregistry-test` made with useradd (no home, no login shell).
 */
export function serverAccount(env: NodeJS.ProcessEnv = process.env): ServerAccount {
  if (account) return account;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    account = { name: spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout?.trim() || 'current user' };
    return account;
  }
  const wanted = env.SREGISTRY_TEST_PG_USER ? [env.SREGISTRY_TEST_PG_USER] : ['nobody', MADE_ACCOUNT];
  for (const name of wanted) {
    const ids = lookUp(name);
    if (ids && ids.uid !== 0) {
      account = { name, ...ids };
      return account;
    }
  }
  if (env.SREGISTRY_TEST_PG_USER) {
    throw new Error(`SREGISTRY_TEST_PG_USER=${env.SREGISTRY_TEST_PG_USER} is not an unprivileged account on this machine`);
  }
  const made = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', MADE_ACCOUNT], {
    encoding: 'utf8',
  });
  const ids = lookUp(MADE_ACCOUNT);
  if (!ids) throw new Error(`cannot make an unprivileged account for PostgreSQL (useradd ${MADE_ACCOUNT}): ${made.stderr?.trim()}`);
  account = { name: MADE_ACCOUNT, ...ids };
  return account;
}

function lookUp(name: string): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * A base folder the account can reach: the temp folder, unless one of its parents is closed to others (a TMPDIR
 * under /root), then /tmp.
 */
export function reachableTempRoot(tmp: string, who: ServerAccount): string {
  if (who.uid === undefined) return tmp;
  let dir = path.resolve(tmp);
  for (;;) {
    const stat = fs.statSync(dir);
    if (stat.uid !== who.uid && (stat.mode & 0o001) === 0) return '/tmp';
    const parent = path.dirname(dir);
    if (parent === dir) return tmp;
    dir = parent;
  }
}
