// A real PostgreSQL server for tests: initdb into a temp folder (as an unprivileged account when the tests run
// as root), listening on 127.0.0.1 only, password logins with scram-sha-256 and nothing else, fsync off (test
// data). stop() removes everything; a process that ends without calling it still stops its servers (exit
// handler), and one killed outright leaves a folder the next start in another process sweeps.
import { execFile, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../oci-registry/distribution';
import {
  findPostgresBinaries,
  type PostgresBinaries,
  postgresAvailable,
  reachableTempRoot,
  type ServerAccount,
  serverAccount,
} from './binaries';

const run = promisify(execFile);
const PREFIX = 'sregistry-pg-';
const SUPERUSER = 'postgres';

export interface PostgresOptions {
  /** the login role the URLs use (default `sregistry`); it owns the databases createDatabase makes */
  user?: string;
  /** its password (default: random) */
  password?: string;
  /** the first database, owned by the role (default `sregistry`) */
  database?: string;
  /** extra postgresql.conf settings, e.g. `{ max_connections: '20' }`; `{ fsync: 'on' }` for a benchmark */
  settings?: Record<string, string>;
}

export interface PostgresHandle {
  /** `postgresql://user:password@127.0.0.1:port/database` for the first database */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** the cluster's data folder */
  dataDir: string;
  /** a new empty database owned by the role (a unique name when none is given); resolves to its URL */
  createDatabase(name?: string): Promise<string>;
  /** `postgresql://user:password@host:port/<name>` */
  urlFor(name: string, credentials?: { user: string; password: string }): string;
  /** runs SQL as the superuser (psql -At): roles, grants, inspecting what a test wrote; resolves to psql's output */
  sql(query: string, database?: string): Promise<string>;
  /** shuts the server down (fast) and keeps its data: the database stopped mid-run */
  stopServer(): Promise<void>;
  /** starts it again on the same port */
  startServer(): Promise<void>;
  /** whether the server is up now */
  running(): boolean;
  /** the server's log (for failure messages) */
  log(): string;
  /** stops the server and removes its folder */
  stop(): Promise<void>;
}

interface Live {
  dir: string;
  dataDir: string;
  binaries: PostgresBinaries;
  who: ServerAccount;
}

const live = new Set<Live>();
let exitHooked = false;

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresHandle> {
  const available = postgresAvailable();
  if (!available.ok) throw new Error(available.reason);
  const binaries = findPostgresBinaries() as PostgresBinaries;
  const who = serverAccount();
  const root = reachableTempRoot(os.tmpdir(), who);
  sweepAbandoned(root, binaries, who);
  const dir = fs.mkdtempSync(path.join(root, PREFIX));
  fs.writeFileSync(path.join(dir, 'owner.pid'), `${process.pid}\n`);
  const dataDir = path.join(dir, 'data');
  const user = options.user ?? 'sregistry';
  const password = options.password ?? crypto.randomBytes(12).toString('hex');
  const database = options.database ?? 'sregistry';
  const superPassword = crypto.randomBytes(12).toString('hex');
  const entry: Live = { dir, dataDir, binaries, who };
  hookExit();
  live.add(entry);
  let up = false;
  const asServer = { uid: who.uid, gid: who.gid, cwd: dir, env: serverEnv(dir) };
  try {
    if (who.uid !== undefined && who.gid !== undefined) fs.chownSync(dir, who.uid, who.gid);
    const pwfile = path.join(dir, 'superuser-password');
    fs.writeFileSync(pwfile, `${superPassword}\n`, { mode: 0o600 });
    if (who.uid !== undefined && who.gid !== undefined) fs.chownSync(pwfile, who.uid, who.gid);
    await run(
      binaries.initdb,
      ['-D', dataDir, '-U', SUPERUSER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'],
      asServer,
    ).catch((error) => {
      throw new Error(`initdb failed: ${String(error.stderr || error.message).trim()}`);
    });
    fs.rmSync(pwfile);
    const port = await freePort();
    // only TCP logins from this machine, all with a password checked by SCRAM
    fs.writeFileSync(path.join(dataDir, 'pg_hba.conf'), 'local all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n');
    const settings: Record<string, string> = {
      listen_addresses: "'127.0.0.1'",
      port: String(port),
      unix_socket_directories: `'${dir}'`,
      password_encryption: 'scram-sha-256',
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: '100',
      ...options.settings,
    };
    fs.appendFileSync(
      path.join(dataDir, 'postgresql.conf'),
      `\n# sregistry testkit\n${Object.entries(settings)
        .map(([key, value]) => `${key} = ${value}`)
        .join('\n')}\n`,
    );
    const logFile = path.join(dir, 'server.log');
    const pgCtl = async (args: string[]): Promise<void> => {
      await run(binaries.pgCtl, ['-D', dataDir, ...args], asServer).catch((error) => {
        throw new Error(`pg_ctl ${args[0]} failed: ${String(error.stderr || error.message).trim()}\n${tail(logFile)}`);
      });
    };
    const startServer = async () => {
      await pgCtl(['start', '-w', '-t', '60', '-l', logFile]);
      up = true;
    };
    const stopServer = async () => {
      if (!up) return;
      await pgCtl(['stop', '-w', '-t', '60', '-m', 'fast']);
      up = false;
    };
    await startServer();
    const host = '127.0.0.1';
    const psql = async (query: string, db: string, login: { user: string; password: string }) => {
      const { stdout } = await run(
        binaries.psql,
        ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', host, '-p', String(port), '-U', login.user, '-d', db, '-c', query],
        { env: { ...serverEnv(dir), PGPASSWORD: login.password, PGCONNECT_TIMEOUT: '10' } },
      ).catch((error) => {
        throw new Error(`psql failed: ${String(error.stderr || error.message).trim()}`);
      });
      return stdout.trim();
    };
    const sql = (query: string, db = 'postgres') => psql(query, db, { user: SUPERUSER, password: superPassword });
    await sql(`CREATE ROLE ${ident(user)} LOGIN PASSWORD ${literal(password)}`);
    let made = 0;
    const createDatabase = async (name?: string) => {
      const db = name ?? `${database}_${process.pid}_${++made}_${crypto.randomBytes(3).toString('hex')}`;
      await sql(`CREATE DATABASE ${ident(db)} OWNER ${ident(user)}`);
      return urlFor(db);
    };
    const urlFor = (db: string, credentials = { user, password }) =>
      `postgresql://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@${host}:${port}/${encodeURIComponent(db)}`;
    const url = await createDatabase(database);
    return {
      url,
      host,
      port,
      user,
      password,
      database,
      dataDir,
      createDatabase,
      urlFor,
      sql,
      stopServer,
      startServer,
      running: () => up,
      log: () => tail(logFile),
      async stop() {
        live.delete(entry);
        await stopServer().catch(() => stopNow(entry));
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    live.delete(entry);
    stopNow(entry);
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

let shared: Promise<PostgresHandle> | undefined;

/**
 * One server for the whole test process (started on first use, stopped when the process ends): tests take a
 * fresh database each with `createDatabase()`. A test that stops the server starts its own with startPostgres.
 */
export function sharedPostgres(): Promise<PostgresHandle> {
  if (!shared) {
    shared = startPostgres();
    shared.catch(() => {
      shared = undefined;
    });
  }
  return shared;
}

/** A quoted identifier. */
function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A quoted string literal (standard_conforming_strings is on by default). */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The children's environment without the caller's PG* variables, which would point psql elsewhere. */
function serverEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PG')) env[key] = value;
  return { ...env, HOME: home, LC_ALL: 'C', LANG: 'C' };
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').slice(-16 * 1024);
  } catch {
    return '';
  }
}

/** Synchronous immediate shutdown, for the exit handler and failed starts. */
function stopNow(entry: Live): void {
  if (!fs.existsSync(path.join(entry.dataDir, 'postmaster.pid'))) return;
  spawnSync(entry.binaries.pgCtl, ['-D', entry.dataDir, 'stop', '-w', '-t', '20', '-m', 'immediate'], {
    uid: entry.who.uid,
    gid: entry.who.gid,
    cwd: entry.dir,
    env: serverEnv(entry.dir),
    stdio: 'ignore',
  });
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  const cleanUp = () => {
    for (const entry of live) {
      stopNow(entry);
      fs.rmSync(entry.dir, { recursive: true, force: true });
    }
    live.clear();
  };
  process.once('exit', cleanUp);
  // an interrupted run (Ctrl-C, the runner's timeout) stops its servers too, then ends as the signal asks
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanUp();
      process.kill(process.pid, signal);
    });
  }
}

/** Folders of test processes that died without cleaning up (kill -9): stop their server and remove them. */
function sweepAbandoned(root: string, binaries: PostgresBinaries, who: ServerAccount): void {
  let names: string[] = [];
  try {
    names = fs.readdirSync(root).filter((name) => name.startsWith(PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = path.join(root, name);
    let owner = 0;
    try {
      owner = Number(fs.readFileSync(path.join(dir, 'owner.pid'), 'utf8').trim());
    } catch {
      continue; // being made right now, or not ours
    }
    if (!owner || processAlive(owner)) continue;
    stopNow({ dir, dataDir: path.join(dir, 'data'), binaries, who });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
