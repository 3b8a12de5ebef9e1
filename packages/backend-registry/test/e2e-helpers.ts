// End-to-end harness: the built CLI (`node packages/cli/bin/run.js`) in a throw-away HOME with the registry plugin
// linked, talking over loopback to the testkit's fake Singularity Registry Server. Assertions look at what a user
// would see (stdout, stderr, exit code) and at what is left on disk (storage files, rows in the real SQLite file).
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before } from 'node:test';
import {
  type CliResult,
  makeTempHome,
  md5File,
  type RegistryServerHandle,
  type RegistryServerOptions,
  runCli,
  sha256File,
  startRegistryServer,
} from '@sregistry/testkit';

export { assertOneLineError } from '@sregistry/testkit';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const BIN = path.join(REPO, 'packages', 'cli', 'bin', 'run.js');
export const PLUGIN_DIR = path.join(REPO, 'packages', 'backend-registry');

export const USER = 'dinosaur';
/** 40 hex like a real token, and distinctive enough to search for in output */
export const TOKEN = 'e2e0c0ffee'.repeat(4);

/** The server's public vanessa/tacos:latest, private dinosaur/secret:latest and vanessa/tacolicious (as in the demo). */
export function defaultSeed(): RegistryServerOptions['seed'] {
  return [
    { name: 'vanessa', owners: [USER], containers: [{ name: 'tacos', tag: 'latest', file: randomBytes(300 * 1024, 1) }] },
    { name: 'dinosaur', private: true, owners: [USER], containers: [{ name: 'secret', tag: 'latest', file: randomBytes(200 * 1024, 2) }] },
    { name: 'vanessa', containers: [{ name: 'tacolicious', tag: 'gobacktosleep', file: randomBytes(100 * 1024, 3) }] },
  ];
}

export function startE2eRegistry(options: RegistryServerOptions = {}): Promise<RegistryServerHandle> {
  return startRegistryServer({ users: [{ username: USER, token: TOKEN }], seed: defaultSeed(), ...options });
}

/**
 * The set-up most e2e files share: a Registry Server (startE2eRegistry with `options`) and a home with the plugin
 * linked (registryHome), started before the file's tests and removed after them. `ready` receives both and may do
 * the file's own set-up (awaited: node 20 does not wait for one top-level `before` hook before starting the next).
 */
export function useE2eRegistry(
  ready: (server: RegistryServerHandle, e: E2eHome) => void | Promise<void>,
  options: RegistryServerOptions = {},
): void {
  let server: RegistryServerHandle | undefined;
  let e: E2eHome | undefined;
  before(async () => {
    server = await startE2eRegistry(options);
    e = await registryHome(server);
    await ready(server, e);
  });
  after(async () => {
    e?.cleanup();
    await server?.close();
  });
}

export type RunOptions = { env?: Record<string, string | undefined>; cwd?: string; input?: string };

export interface E2eHome {
  home: string;
  secretsFile: string;
  storage: string;
  databaseFile: string;
  /** a folder for `--no-cache` downloads, so they never land in storage or HOME's root */
  work: string;
  env: Record<string, string>;
  run(args: string[], options?: RunOptions): Promise<CliResult>;
  cleanup(): void;
}

export interface HomeOptions {
  /** link the registry plugin (default true) */
  link?: boolean;
  /** the secrets file's registry section; default the server's base with USER and TOKEN */
  registry?: Record<string, string>;
}

/**
 * A temp HOME with the secrets file a registry's token page hands out, SREGISTRY_CLIENT=registry and (unless
 * told otherwise) the plugin linked the way a developer does it from a checkout.
 */
export async function registryHome(server: { url: string } | undefined, options: HomeOptions = {}): Promise<E2eHome> {
  const temp = makeTempHome('sregistry-e2e-');
  const secretsFile = path.join(temp.home, '.sregistry');
  const registry = options.registry ?? { token: TOKEN, username: USER, base: server?.url ?? 'http://127.0.0.1:9' };
  fs.writeFileSync(secretsFile, JSON.stringify({ registry }, null, 2), { mode: 0o600 });
  const work = path.join(temp.home, 'work');
  fs.mkdirSync(work);
  const env = { ...temp.env, SREGISTRY_CLIENT: 'registry' };
  const run = (args: string[], runOptions: RunOptions = {}) =>
    runCli(BIN, args, { input: runOptions.input, cwd: runOptions.cwd ?? work, env: { ...env, ...runOptions.env } });
  if (options.link !== false) {
    const linked = await run(['plugins', 'link', PLUGIN_DIR, '--no-install']);
    assert.equal(linked.code, 0, `plugins link failed: ${linked.stderr}`);
  }
  return {
    home: temp.home,
    secretsFile,
    storage: path.join(temp.home, '.singularity', 'shub'),
    databaseFile: path.join(temp.home, '.singularity', 'sregistry.db'),
    work,
    env,
    run,
    cleanup: temp.cleanup,
  };
}

/** Every regular file under `dir`, relative to it (journal and temp folders included). */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((rel) => fs.statSync(path.join(dir, rel)).isFile()).sort();
}

export interface ContainerRow {
  uri: string;
  image: string;
  client: string;
  version: string;
  url: string;
}

// better-sqlite3 is core's dependency; load it from there rather than declaring it a second time
const requireFromCore = createRequire(path.join(REPO, 'packages', 'core', 'package.json'));
type SqliteDatabase = { prepare(sql: string): { all(): unknown[] }; close(): void };
type SqliteOpen = new (file: string, options: { readonly: boolean; fileMustExist: boolean }) => SqliteDatabase;

/** The catalogue's container rows, read straight from the SQLite file (none when it does not exist). */
export function catalogRows(e: E2eHome): ContainerRow[] {
  if (!fs.existsSync(e.databaseFile)) return [];
  const Database = requireFromCore('better-sqlite3') as SqliteOpen;
  const db = new Database(e.databaseFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT uri, image, client, version, url FROM container ORDER BY id').all() as ContainerRow[];
  } finally {
    db.close();
  }
}

export interface Snapshot {
  storage: string[];
  rows: ContainerRow[];
  work: string[];
}

export function snapshot(e: E2eHome): Snapshot {
  // the daily sweep's marker is the catalogue's upkeep, not a file a pull left
  const storage = filesUnder(e.storage).filter((f) => f !== path.join('.tmp', 'last-sweep'));
  return { storage, rows: catalogRows(e), work: filesUnder(e.work) };
}

/** A failed pull must leave storage (temp folder included), the catalogue and the download folder as they were. */
export function assertNoTrace(e: E2eHome, before: Snapshot): void {
  const after = snapshot(e);
  assert.deepEqual(after.storage, before.storage, 'no file added to storage (nor left in its .tmp)');
  // the sweep marker (.tmp/last-sweep) is the catalogue's, not a leftover of the command
  const leftovers = after.storage.filter((f) => f.startsWith('.tmp') && f !== path.join('.tmp', 'last-sweep'));
  assert.equal(leftovers.length, 0, 'nothing in the storage temp folder after the command ended');
  assert.deepEqual(after.rows, before.rows, 'no catalogue row added');
  assert.deepEqual(after.work, before.work, 'no file left in the current folder');
}

/** The original's first line of remote commands, with the temp HOME's database. */
export function announceLine(e: E2eHome): string {
  return `[client|registry] [database|sqlite:///${e.databaseFile}]`;
}

/** Hex digests of a file (the testkit's). */
export const sha256 = sha256File;
export const md5 = md5File;

/**
 * Deterministic incompressible bytes (AES-CTR keystream): different seeds give different files, and nothing on
 * the way can compress or deduplicate them.
 */
export function randomBytes(size: number, seed: number): Buffer {
  const key = Buffer.alloc(16, seed & 0xff);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16, 0));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]).subarray(0, size);
}

export function writeRandomFile(file: string, size: number, seed: number): string {
  fs.writeFileSync(file, randomBytes(size, seed));
  return file;
}

/** The server-side container, by `collection/name:tag`. */
export function serverContainer(server: RegistryServerHandle, uri: string) {
  return server.containers().find((c) => `${c.collection}/${c.name}:${c.tag}` === uri);
}
