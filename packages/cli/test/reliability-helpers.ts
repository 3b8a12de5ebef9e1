// Shared by the reliability, bad-input, secrets and concurrency suites: throw-away homes that share one oclif
// data folder (the registry plugin is linked once per test file, not once per home), killing the CLI at a named
// pause point (packages/core/src/testing-hooks.ts), reading the catalogue straight from SQLite, the catalogue
// invariants, and byte-exact snapshots for "this command changed nothing".
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CliResult, cleanEnv, runCli, sha256File } from '@sregistry/testkit';

export const BIN = path.resolve(__dirname, '..', 'bin', 'run.js');
/** Preload that arms core's pause point in the CLI's process (core never reads the SREGISTRY_TEST_PAUSE_* variables) */
const ARM_PAUSE_POINT = require.resolve('@sregistry/testkit/bin/arm-pause-point.js');
const REGISTRY_PLUGIN = path.resolve(__dirname, '..', '..', 'backend-registry');
// better-sqlite3 is a dependency of core, not of the cli package: resolve it from there
const Sqlite = createRequire(path.resolve(__dirname, '..', '..', 'core', 'package.json'))('better-sqlite3') as new (
  file: string,
  options: { readonly: boolean; fileMustExist: boolean },
) => { prepare(sql: string): { all(): unknown[] }; close(): void };

/** A 40-hex token nobody would print by accident; the suites search every output for it. */
export const TOKEN = 'c0ffee5eed1e55ca1ab1ec0de7a57e11deadbea7';
export const USER = 'dinosaur';

export type RunOptions = { env?: Record<string, string | undefined>; cwd?: string; input?: string; timeoutMs?: number };

export interface Sandbox {
  home: string;
  storage: string;
  database: string;
  dbFile: string;
  secretsFile: string;
  env: Record<string, string>;
  run(args: string[], options?: RunOptions): Promise<CliResult>;
  cleanup(): void;
}

/** An oclif data folder with the registry backend linked, shared by every sandbox of one test file. */
export async function linkedPluginData(): Promise<{ dir: string; cleanup(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-plugins-'));
  const env = { HOME: dir, XDG_DATA_HOME: dir, XDG_CACHE_HOME: path.join(dir, '.cache'), XDG_CONFIG_HOME: path.join(dir, '.config') };
  const r = await runCli(BIN, ['plugins', 'link', REGISTRY_PLUGIN, '--no-install'], { env, cwd: dir });
  if (r.code !== 0) throw new Error(`plugins link failed: ${r.stderr}`);
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A throw-away HOME (secrets file, database and storage at their defaults inside it). */
export function sandbox(options: { pluginData?: string; env?: Record<string, string> } = {}): Sandbox {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-rel-'));
  const env: Record<string, string> = {
    HOME: home,
    XDG_DATA_HOME: options.pluginData ?? path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    npm_config_cache: path.join(home, '.npm'),
    ...options.env,
  };
  const database = path.join(home, '.singularity');
  return {
    home,
    storage: path.join(database, 'shub'),
    database,
    dbFile: path.join(database, 'sregistry.db'),
    secretsFile: path.join(home, '.sregistry'),
    env,
    run: (args, o = {}) => runCli(BIN, args, { ...o, env: { ...env, ...o.env }, cwd: o.cwd ?? home }),
    cleanup: () => fs.rmSync(home, { recursive: true, force: true }),
  };
}

export interface KillOutcome {
  /** true when the process announced the pause point (and was then killed there) */
  paused: boolean;
  /** the announcement, e.g. `paused download-bytes 65536 pid 123` */
  detail: string;
  /** exit status when the process ended before the point */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns the CLI with a pause point armed, waits until it freezes there and SIGKILLs it. */
export async function killAtPoint(
  sb: Sandbox,
  args: string[],
  point: string,
  options: RunOptions & { bytes?: number } = {},
): Promise<KillOutcome> {
  const { child, paused, detail } = await runToPoint(sb, args, point, options);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  const result = await exited(child);
  return { paused, detail, code: paused ? null : result.code, stdout: result.stdout, stderr: result.stderr };
}

/** Spawns the CLI with a pause point armed, runs `during` while it is frozen there, then SIGKILLs it. */
export async function duringPause<T>(
  sb: Sandbox,
  args: string[],
  point: string,
  during: () => Promise<T>,
): Promise<{ paused: boolean; result: T }> {
  const { child, paused } = await runToPoint(sb, args, point, {});
  try {
    return { paused, result: await during() };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited(child);
  }
}

/**
 * Runs the CLI with a hold point armed (testing-hooks holdPoint: the process waits there, alive to its signals)
 * and sends it `signal` once it is there: Ctrl-C at a moment too short to hit by timing.
 */
export async function signalAtPoint(
  sb: Sandbox,
  args: string[],
  point: string,
  signal: NodeJS.Signals,
  options: RunOptions & { repeat?: number } = {},
) {
  const { child, paused } = await runToPoint(sb, args, point, options);
  if (paused && child.exitCode === null && child.signalCode === null) child.kill(signal);
  // `repeat`: the impatient user's further Ctrl-Cs, a few milliseconds apart, while the command cleans up
  for (let i = 0; paused && i < (options.repeat ?? 0); i++) {
    await sleep(2);
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
  return { reached: paused, ...(await exited(child)) };
}

/**
 * Runs the CLI with a hold point armed and waits until it is there: the test then runs other commands (a race at
 * an exact step), and `resume()` lets the held one go on and gives its result.
 */
export async function holdAtPoint(sb: Sandbox, args: string[], point: string, options: RunOptions = {}) {
  const resumeFile = path.join(sb.home, `.resume-${process.pid}-${Date.now()}`);
  const { child, paused } = await runToPoint(sb, args, point, {
    ...options,
    env: { ...options.env, SREGISTRY_TEST_PAUSE_RESUME: resumeFile },
  });
  return {
    reached: paused,
    pid: child.pid as number,
    resume: async () => {
      fs.writeFileSync(resumeFile, '');
      try {
        return await exited(child);
      } finally {
        fs.rmSync(resumeFile, { force: true });
      }
    },
  };
}

/** Spawns the CLI with `point` armed and waits until it is reached, the CLI ends, or the time is up. */
async function runToPoint(sb: Sandbox, args: string[], point: string, options: RunOptions & { bytes?: number }) {
  const pauseFile = path.join(sb.home, `.pause-${process.pid}-${Date.now()}`);
  const env = {
    ...sb.env,
    ...options.env,
    SREGISTRY_TEST_PAUSE_AT: point,
    SREGISTRY_TEST_PAUSE_FILE: pauseFile,
    ...(options.bytes === undefined ? {} : { SREGISTRY_TEST_PAUSE_BYTES: String(options.bytes) }),
  };
  // the CLI reads none of these variables: the testkit's preload arms the point inside the child
  const child = spawnCli(args, env, options.cwd ?? sb.home, ['--require', ARM_PAUSE_POINT]);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let detail = '';
  while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
    detail = fs.existsSync(pauseFile) ? fs.readFileSync(pauseFile, 'utf8').trim() : '';
    if (detail.startsWith('paused ')) break;
    await sleep(15);
  }
  fs.rmSync(pauseFile, { force: true });
  return { child, paused: detail.startsWith('paused '), detail };
}

/** Spawns the CLI and SIGKILLs it when `when` resolves (a timer, a byte count seen by a proxy, …). */
export async function killWhen(sb: Sandbox, args: string[], when: (child: ChildProcess) => Promise<unknown>, options: RunOptions = {}) {
  const child = spawnCli(args, { ...sb.env, ...options.env }, options.cwd ?? sb.home);
  const done = exited(child);
  const fired = await Promise.race([when(child).then(() => true), done.then(() => false)]);
  if (fired && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  const result = await done;
  return { killed: result.signal === 'SIGKILL', ...result };
}

/** Like killWhen with a signal a process can catch (SIGINT, SIGTERM): it may clean up and end its own way. */
export async function signalWhen(
  sb: Sandbox,
  args: string[],
  when: (child: ChildProcess) => Promise<unknown>,
  signal: NodeJS.Signals,
  options: RunOptions = {},
) {
  const child = spawnCli(args, { ...sb.env, ...options.env }, options.cwd ?? sb.home);
  const done = exited(child);
  const fired = await Promise.race([when(child).then(() => true), done.then(() => false)]);
  if (fired && child.exitCode === null && child.signalCode === null) child.kill(signal);
  return { sent: fired, ...(await done) };
}

function spawnCli(
  args: string[],
  env: Record<string, string | undefined>,
  cwd: string,
  nodeArgs: string[] = [],
): ChildProcess & { out: string[]; err: string[] } {
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], {
    env: cleanEnv(env),
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & {
    out: string[];
    err: string[];
  };
  child.out = [];
  child.err = [];
  child.stdout?.on('data', (d) => child.out.push(String(d)));
  child.stderr?.on('data', (d) => child.err.push(String(d)));
  // a frozen child must never outlive the test run
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  child.once('exit', () => clearTimeout(guard));
  return child;
}

function exited(child: ChildProcess & { out?: string[]; err?: string[] }) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    const finish = () =>
      resolve({ code: child.exitCode, signal: child.signalCode, stdout: (child.out ?? []).join(''), stderr: (child.err ?? []).join('') });
    if (child.exitCode !== null || child.signalCode !== null) return void setImmediate(finish);
    child.once('close', finish);
  });
}

export interface Row {
  id: number;
  collection: string;
  name: string;
  tag: string;
  version: string | null;
  image: string | null;
  client: string;
  uri: string | null;
}

/** The rows as SQLite holds them (read-only; run only while no CLI is writing). */
export function readRows(dbFile: string): Row[] {
  if (!fs.existsSync(dbFile)) return [];
  const db = new Sqlite(dbFile, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(
        'SELECT c.id AS id, col.name AS collection, c.name AS name, c.tag AS tag, c.version AS version, c.image AS image, c.client AS client, c.uri AS uri FROM container c JOIN collection col ON col.id = c.collection_id ORDER BY c.id',
      )
      .all() as Row[];
  } finally {
    db.close();
  }
}

/** Hex SHA-256 of a file (the testkit's). */
export const sha256 = sha256File;

/** Every regular file below `dir` (absolute paths), symlinks not followed. */
export function walk(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) visit(full);
      else out.push(full);
    }
  };
  visit(dir);
  return out.sort();
}

/** When the storage tree was last swept for temp files (not a temp file itself: cleaning keeps it). */
export function sweepMarker(sb: Sandbox): string {
  return path.join(sb.storage, '.tmp', 'last-sweep');
}

/** The sweep marker of any storage folder (tests also point SREGISTRY_STORAGE elsewhere). */
function isSweepMarker(file: string): boolean {
  return path.basename(file) === 'last-sweep' && path.basename(path.dirname(file)) === '.tmp';
}

/** Temp names the core writes: anything in `<storage>/.tmp/`, `.<dest>.sregistry-<host>-<pid>-<hex>.tmp` elsewhere. */
export function isTempFile(storage: string, file: string): boolean {
  const rel = path.relative(storage, file);
  if (!rel.startsWith('..') && rel.split(path.sep)[0] === '.tmp') return true;
  const base = path.basename(file);
  return /^\..+\.sregistry-[0-9a-f]{8}-\d+-[0-9a-f]+\.tmp$/.test(base);
}

export interface Layout {
  rows: Row[];
  /** non-temporary files in storage and the extra folders */
  files: string[];
  /** temporary leftovers (allowed; cleaned by recovery once stale) */
  temps: string[];
  /** intents still in the journal */
  intents: string[];
}

export function layout(sb: Sandbox, extraDirs: string[] = []): Layout {
  const all = [...walk(sb.storage), ...extraDirs.flatMap((d) => walk(d))];
  const journal = path.join(sb.storage, '.tmp', 'journal');
  return {
    rows: readRows(sb.dbFile),
    files: all.filter((f) => !isTempFile(sb.storage, f)),
    temps: all.filter((f) => isTempFile(sb.storage, f) && path.dirname(f) !== journal && !isSweepMarker(f)),
    intents: all.filter((f) => path.dirname(f) === journal && f.endsWith('.json') && !path.basename(f).startsWith('.')),
  };
}

/**
 * The catalogue invariants after recovery: every row's file exists (and hashes to its version when the version
 * is a SHA-256), one row per identity, every non-temporary file in storage (and the extra folders) belongs to a
 * row, and no intent is left in the journal. Returns the violations (empty = consistent).
 */
export function invariantProblems(sb: Sandbox, extraDirs: string[] = []): string[] {
  const { rows, files, intents } = layout(sb, extraDirs);
  const problems: string[] = [];
  const identities = new Set<string>();
  for (const r of rows) {
    const id = `${r.collection}/${r.name}:${r.tag}@${r.version}#${r.client}`;
    if (identities.has(id)) problems.push(`two rows for ${id}`);
    identities.add(id);
    if (!r.image || !fs.existsSync(r.image)) {
      problems.push(`row ${id} has no file (${r.image})`);
      continue;
    }
    if (r.version && /^[0-9a-f]{64}$/.test(r.version) && sha256(r.image) !== r.version)
      problems.push(`row ${id}: file content differs from its version`);
  }
  const owned = new Set(rows.map((r) => r.image));
  for (const f of files) if (!owned.has(f)) problems.push(`file without a row: ${f}`);
  for (const i of intents) problems.push(`intent left in the journal: ${path.basename(i)}`);
  return problems;
}

/** Sets the mtime of every temp leftover `hours` back, so the next recovery treats it as stale. */
export function ageTemps(sb: Sandbox, hours: number, extraDirs: string[] = []): string[] {
  const temps = layout(sb, extraDirs).temps;
  const when = new Date(Date.now() - hours * 3600_000);
  for (const t of temps) fs.utimesSync(t, when, when);
  // the catalogue walks image folders for stray temps at most daily (marker in storage's .tmp): age it too
  const marker = sweepMarker(sb);
  if (fs.existsSync(marker)) fs.utimesSync(marker, when, when);
  return temps;
}

/**
 * Everything a command could change, byte for byte: the rows, and every file of the home (mode and content)
 * except SQLite's own files (opening a database may checkpoint its WAL without changing a row).
 */
export function snapshot(sb: Sandbox, extra: string[] = []): string {
  const skip = new Set(['.local', '.cache', '.config', '.npm']);
  const files = walk(sb.home).filter((f) => {
    const rel = path.relative(sb.home, f);
    return (
      !skip.has(rel.split(path.sep)[0]!) &&
      !/sregistry\.db(-wal|-shm|-journal)?$/.test(f) &&
      !isSweepMarker(f) &&
      !path.basename(f).startsWith('.pause-')
    );
  });
  const entries = [...files, ...extra.flatMap((d) => walk(d)).filter((f) => !isSweepMarker(f))].map((f) => {
    const st = fs.lstatSync(f);
    return `${f} ${(st.mode & 0o7777).toString(8)} ${st.isFile() ? sha256(f) : 'special'}`;
  });
  return JSON.stringify({ rows: readRows(sb.dbFile), entries }, null, 1);
}

/** The stderr of a failure: exactly one `ERROR <problem>; <fix>` line (usage errors: `… (see --help)`), no stack. */
export function oneErrorLine(r: CliResult): string | undefined {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 1) return `expected one stderr line, got ${lines.length}: ${JSON.stringify(r.stderr)}`;
  if (!/^ERROR .+(; .+| \(see --help\))$/.test(lines[0]!)) return `not an "ERROR <problem>; <fix>" line: ${lines[0]}`;
  if (/\n\s+at |\bat .+:\d+:\d+\)/.test(r.stderr)) return `a stack trace: ${r.stderr}`;
  return undefined;
}

export interface CrashCase {
  args: string[];
  /** pause point to kill at (see testing-hooks.ts); or `when` for a kill by timing */
  point?: string;
  bytes?: number;
  when?: (child: ChildProcess) => Promise<unknown>;
  env?: Record<string, string>;
  /** true when rows and files show the command's whole effect */
  done(after: Layout): boolean | Promise<boolean>;
  /** run the command again afterwards: `always` (idempotent: pull, add --copy, push) or only when nothing happened */
  rerun: 'always' | 'if-not-done';
  /** folders outside storage the command writes to (mv targets) */
  extraDirs?: string[];
}

export interface CrashReport {
  label: string;
  /** the pause announcement, or how the timing kill went */
  detail: string;
  outcome: 'completed' | 'untouched' | 'finished before the kill';
  /** temp leftovers after recovery (allowed until stale) */
  temps: number;
  problems: string[];
}

/**
 * One kill: run the command until the point (or the timing) and SIGKILL it; run `images --json` (opens the
 * catalogue, so recovery runs); check the invariants and that the change happened wholly or not at all; run
 * the command again where that must succeed; check again.
 */
export async function crash(sb: Sandbox, c: CrashCase): Promise<CrashReport> {
  const label = `${c.args.join(' ')} @ ${c.point ?? 'timing'}`;
  const before = layout(sb, c.extraDirs);
  const problems: string[] = [];
  let detail: string;
  let outcome: CrashReport['outcome'] = 'untouched';
  if (c.point) {
    const k = await killAtPoint(sb, c.args, c.point, { env: c.env, bytes: c.bytes });
    detail = k.detail;
    if (!k.paused) problems.push(`never reached ${c.point} (exit ${k.code}): ${k.stderr.trim()}`);
  } else {
    const k = await killWhen(sb, c.args, c.when!, { env: c.env });
    detail = k.killed ? 'killed by timing' : `ended first (exit ${k.code})`;
    if (!k.killed) outcome = 'finished before the kill';
    if (!k.killed && k.code !== 0) problems.push(`ended with ${k.code} before the kill: ${k.stderr.trim()}`);
  }
  const listed = await sb.run(['images', '--json']);
  if (listed.code !== 0) problems.push(`images after the kill failed: ${listed.stderr.trim()}`);
  else {
    const json = JSON.parse(listed.stdout) as { id: number; image: string }[];
    const rows = readRows(sb.dbFile);
    if (JSON.stringify(json.map((r) => [r.id, r.image])) !== JSON.stringify(rows.map((r) => [r.id, r.image])))
      problems.push('images --json differs from the rows');
  }
  problems.push(...invariantProblems(sb, c.extraDirs));
  const after = layout(sb, c.extraDirs);
  if (await c.done(after)) {
    if (outcome === 'untouched') outcome = 'completed';
  } else if (JSON.stringify(after.rows) !== JSON.stringify(before.rows) || JSON.stringify(after.files) !== JSON.stringify(before.files)) {
    problems.push(`half done: rows ${JSON.stringify(after.rows)} files ${JSON.stringify(after.files)}`);
  }
  const temps = after.temps.length;
  if (problems.length === 0 && (c.rerun === 'always' || outcome === 'untouched')) {
    const again = await sb.run(c.args, { env: c.env });
    if (again.code !== 0) problems.push(`re-run failed (${again.code}): ${again.stderr.trim()}`);
    problems.push(...invariantProblems(sb, c.extraDirs));
    if (!(await c.done(layout(sb, c.extraDirs)))) problems.push('re-run did not finish the change');
  }
  return { label, detail, outcome, temps, problems };
}

/**
 * Mounts a small tmpfs at `dir` (a second file system for cross-device moves, a full disk, a read-only folder).
 * Returns undefined where mounting is not permitted (unprivileged containers); the callers then skip and say so.
 */
export function mountTmpfs(
  dir: string,
  options: { sizeKb?: number; readOnly?: boolean } = {},
): { dir: string; readOnly(): void; unmount(): void } | undefined {
  fs.mkdirSync(dir, { recursive: true });
  const opts = [`size=${options.sizeKb ?? 4096}k`, ...(options.readOnly ? ['ro'] : [])].join(',');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return {
    dir,
    // content first, then read-only: what a read-only bind of an existing storage folder looks like
    readOnly: () => execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'ignore' }),
    unmount: () => {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    },
  };
}

export interface FaultProxy {
  url: string;
  /** where requests go (the registry's origin); set once the registry runs */
  target: string;
  /** bytes per second for download and upload bodies; 0 = full speed */
  rate: number;
  /** answer the next `times` API requests with 429 and this Retry-After */
  tooMany: { times: number; retryAfter: string };
  /** download body bytes forwarded, request body bytes received (uploads) */
  downloaded: number;
  uploaded: number;
  until(what: 'downloaded' | 'uploaded', bytes: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A proxy in front of the fake registry for what its own faults cannot do: a slow download (to kill the CLI
 * by timing in the middle of it), a 429 with a short Retry-After, and byte counters to time kills by. The
 * registry must hand out download URLs through it (start it with `domain: proxy.url`).
 */
export async function startFaultProxy(): Promise<FaultProxy> {
  const http = await import('node:http');
  const waiters: { what: 'downloaded' | 'uploaded'; bytes: number; resolve: () => void }[] = [];
  const notify = () => {
    for (const w of [...waiters]) {
      if (proxy[w.what] >= w.bytes) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const server = http.createServer((req, res) => {
    if (proxy.tooMany.times > 0 && req.url?.startsWith('/api/')) {
      proxy.tooMany.times--;
      res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': proxy.tooMany.retryAfter });
      return void res.end('{"detail":"Request was throttled."}');
    }
    const target = new URL(proxy.target);
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      async (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        const slow = proxy.rate > 0 && /\/download\//.test(req.url ?? '');
        try {
          for await (const chunk of answer as AsyncIterable<Buffer>) {
            const step = slow ? Math.max(1024, Math.floor(proxy.rate / 20)) : chunk.length;
            for (let at = 0; at < chunk.length; at += step) {
              const piece = chunk.subarray(at, at + step);
              if (!res.write(piece)) await new Promise((r) => res.once('drain', r));
              if (/\/download\//.test(req.url ?? '')) proxy.downloaded += piece.length;
              notify();
              if (slow) await sleep(50);
            }
          }
          res.end();
        } catch {
          res.destroy();
        }
      },
    );
    upstream.on('error', () => res.destroy());
    void (async () => {
      try {
        for await (const chunk of req as AsyncIterable<Buffer>) {
          proxy.uploaded += chunk.length;
          notify();
          if (!upstream.write(chunk)) await new Promise((r) => upstream.once('drain', r));
          // uploads are slowed too, so a push can be killed in the middle of its body
          if (proxy.rate > 0) await sleep(Math.ceil((chunk.length / proxy.rate) * 1000));
        }
        upstream.end();
      } catch {
        upstream.destroy();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const proxy: FaultProxy = {
    url: `http://127.0.0.1:${port}`,
    target: '',
    rate: 0,
    tooMany: { times: 0, retryAfter: '1' },
    downloaded: 0,
    uploaded: 0,
    until: (what, bytes) =>
      new Promise<void>((resolve) => {
        waiters.push({ what, bytes, resolve });
        notify();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return proxy;
}

export interface BadCase {
  /** what is wrong, for the report */
  label: string;
  args: string[];
  env?: Record<string, string>;
  /** what the one error line must say */
  expect: RegExp;
  /** 1 for errors, 2 for usage errors */
  exit?: number;
  /** prepares the bad input (after which the "before" snapshot is taken) and undoes it afterwards */
  arrange?(): (() => void) | undefined;
  /** folders outside the home that must not change either */
  extraDirs?: string[];
}

/**
 * Runs one bad input: exit code as expected, exactly one `ERROR …; fix` line on stderr, no stack, and nothing
 * changed (rows, every file of the home and the extra folders, byte for byte). Returns the error line.
 */
export async function refusedCleanly(sb: Sandbox, c: BadCase): Promise<string> {
  const undo = c.arrange?.();
  try {
    const before = snapshot(sb, c.extraDirs);
    const r = await sb.run(c.args, { env: c.env });
    const where = `${c.label}: exit ${r.code}\n${r.stdout}\n${r.stderr}`;
    if (r.code !== (c.exit ?? 1)) throw new Error(`expected exit ${c.exit ?? 1}; ${where}`);
    const shape = oneErrorLine(r);
    if (shape) throw new Error(`${c.label}: ${shape}`);
    if (!c.expect.test(r.stderr)) throw new Error(`${c.label}: the error does not match ${c.expect}: ${r.stderr}`);
    const after = snapshot(sb, c.extraDirs);
    if (after !== before) throw new Error(`${c.label}: something changed\nbefore ${before}\nafter ${after}`);
    return r.stderr.trim();
  } finally {
    if (typeof undo === 'function') undo();
  }
}
