// Commands that fail half-way must change nothing visible (issue 11, "Special files and half-done commands" and
// the crash list): a database locked by another process (a visible wait, then one line), a SQLite file of another
// program, a full disk under the database folder, a move off a read-only file system, a move into /proc, a version
// that claims to be a digest and is not, and a secrets file that is a FIFO, a link to /dev/zero or huge. Each is
// checked with refusedCleanly() (one line, exit 1, every file and row unchanged) or, for the waits, by hand.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sampleSif } from '@sregistry/testkit';
import {
  type BadCase,
  invariantProblems,
  mountTmpfs,
  readRows,
  refusedCleanly,
  type Sandbox,
  sandbox,
  sha256,
  snapshot,
} from './reliability-helpers';

// better-sqlite3 is core's dependency: resolve it from there (the test holds a lock with it)
const Sqlite = createRequire(path.resolve(__dirname, '..', '..', 'core', 'package.json'))('better-sqlite3') as new (
  file: string,
) => { exec(sql: string): void; close(): void };

let sb: Sandbox;
const lines: string[] = [];
const skipped: string[] = [];
const undo: (() => void)[] = [];

before(async () => {
  sb = sandbox();
  await sampleSif(path.join(sb.home, 'good.sif'));
  const r = await sb.run(['add', 'good.sif', '--name', 'keep/one:v1', '--copy']);
  assert.equal(r.code, 0, r.stderr);
});
after(() => {
  console.log(`# half-done commands: ${lines.length} cases held; skipped: ${skipped.join('; ') || 'none'}`);
  for (const l of lines) console.log(`#   ${l.slice(0, 220)}`);
  for (const u of undo.reverse()) u();
  sb.cleanup();
});

async function refused(c: BadCase): Promise<void> {
  lines.push(`${c.label}: ${await refusedCleanly(sb, c)}`);
}

test('a version shaped like a digest must be the file’s digest', async () => {
  const wrong = 'a'.repeat(64);
  await refused({
    label: 'add --name …@<64 hex> that is not the digest',
    args: ['add', 'good.sif', '--name', `c/n:t@${wrong}`, '--copy'],
    expect: /the version looks like a SHA-256 but the file's is [0-9a-f]{64}/,
  });
  await refused({
    label: 'add --name …@sha256.<64 hex> that is not the digest',
    args: ['add', 'good.sif', '--name', `c/n:t@sha256.${wrong}`, '--copy'],
    expect: /looks like a SHA-256/,
  });
  const digest = sha256(path.join(sb.home, 'good.sif'));
  const ok = await sb.run(['add', 'good.sif', '--name', `c/n:t@${digest}`, '--copy']);
  assert.equal(ok.code, 0, ok.stderr);
  const other = await sb.run(['add', 'good.sif', '--name', 'c/n:t@v2.1', '--copy']);
  assert.equal(other.code, 0, 'a version that is not digest-shaped stays allowed');
  lines.push('add --name …@<the real digest> and …@v2.1: accepted');
});

test('mv into /proc is one line', async () => {
  await refused({ label: 'mv into /proc', args: ['mv', 'keep/one:v1', '/proc/'], expect: /cannot be written|read-only|permission denied/ });
  await refused({
    label: 'mv to a file in /proc',
    args: ['mv', 'keep/one:v1', '/proc/x.sif'],
    expect: /cannot be written|read-only|permission denied/,
  });
});

test('a database locked by another process: a visible wait, a bounded timeout, one line, nothing placed', async () => {
  const before = snapshot(sb);
  const holder = new Sqlite(sb.dbFile);
  holder.exec('BEGIN EXCLUSIVE');
  let r: Awaited<ReturnType<Sandbox['run']>>;
  const started = Date.now();
  try {
    r = await sb.run(['add', 'good.sif', '--name', 'locked/out:v1', '--copy'], { env: { SREGISTRY_DATABASE_TIMEOUT: '4' } });
  } finally {
    holder.exec('ROLLBACK');
    holder.close();
  }
  const waited = Date.now() - started;
  assert.equal(r.code, 1, r.stderr);
  const stderr = r.stderr.trim().split('\n');
  assert.equal(stderr.length, 2, `a wait notice and one error line: ${r.stderr}`);
  assert.match(
    stderr[0]!,
    /^WARNING the catalogue database .*sregistry\.db is locked by pid \d+ \(node\); waiting up to 4 s \(SREGISTRY_DATABASE_TIMEOUT\)$/,
  );
  assert.match(
    stderr[1]!,
    /^ERROR the catalogue database .* is locked by .*\(waited [4-9] s\); try again when that process is done, or wait longer with SREGISTRY_DATABASE_TIMEOUT=<seconds>$/,
  );
  assert.ok(waited < 60_000, `bounded: ${waited} ms`);
  assert.equal(snapshot(sb), before, 'nothing placed, no row');
  // and nothing appears later: no intent was left for recovery to replay
  assert.equal((await sb.run(['images'])).code, 0);
  assert.equal(snapshot(sb), before);
  lines.push(`add while the database is locked: ${stderr.join(' / ')}`);
});

test('a SQLite file of another program: one line, nothing placed', async () => {
  const other = sandbox();
  undo.push(() => other.cleanup());
  await sampleSif(path.join(other.home, 'good.sif'));
  fs.mkdirSync(other.database, { recursive: true });
  const db = new Sqlite(other.dbFile);
  db.exec('CREATE TABLE collection (id INTEGER PRIMARY KEY, label TEXT); CREATE TABLE container (id INTEGER PRIMARY KEY, payload BLOB);');
  db.close();
  // (refusedCleanly reads the rows, which this file does not have: the checks are made by hand)
  const dbBytes = sha256(other.dbFile);
  const r = await other.run(['add', 'good.sif', '--name', 'x/y:v1', '--copy']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /^ERROR .*sregistry\.db is a SQLite database of another program \(no such column: .*\); point SREGISTRY_DATABASE at another folder, or move the file away\n$/,
  );
  assert.equal(sha256(other.dbFile), dbBytes, 'the file is not changed');
  assert.equal(fs.existsSync(other.storage) ? fs.readdirSync(other.storage).filter((n) => n !== '.tmp').length : 0, 0, 'no image placed');
  lines.push(`add into a SQLite file of another schema: ${r.stderr.trim()}`);
});

test('add (move) of a file on a read-only file system is refused before anything is copied', async (t) => {
  const mount = mountTmpfs(path.join(sb.home, 'ro'), { sizeKb: 1024 });
  if (!mount) {
    skipped.push('read-only source (mount not permitted)');
    t.skip('mount not permitted');
    return;
  }
  undo.push(() => mount.unmount());
  fs.copyFileSync(path.join(sb.home, 'good.sif'), path.join(mount.dir, 'image.sif'));
  mount.readOnly();
  await refused({
    label: 'add (move) from a read-only file system',
    args: ['add', path.join(mount.dir, 'image.sif'), '--name', 'ro/image:v1'],
    expect: /image\.sif into storage: it is on a read-only file system; add it with --copy/,
    extraDirs: [mount.dir],
  });
  assert.deepEqual(invariantProblems(sb), []);
});

test('rmi of a file that cannot be deleted keeps the row and the file, and leaves nothing for recovery', async (t) => {
  // the image's folder on a file system made read-only after the add (root may delete anything else)
  const mount = mountTmpfs(path.join(sb.storage, 'rofolder', 'image'), { sizeKb: 1024 });
  if (!mount) {
    skipped.push('rmi on a read-only folder (mount not permitted)');
    t.skip('mount not permitted');
    return;
  }
  undo.push(() => mount.unmount());
  const added = await sb.run(['add', 'good.sif', '--name', 'rofolder/image:v1', '--copy']);
  assert.equal(added.code, 0, added.stderr);
  const file = (await sb.run(['get', 'rofolder/image:v1'])).stdout.trim();
  mount.readOnly();
  const r = await sb.run(['rmi', 'rofolder/image:v1']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  const journal = path.join(sb.storage, '.tmp', 'journal');
  assert.deepEqual(fs.existsSync(journal) ? fs.readdirSync(journal) : [], [], 'no intent left for another command to finish');
  // the next command (recovery runs first) still finds both
  const got = await sb.run(['get', 'rofolder/image:v1']);
  assert.equal(got.stdout.trim(), file, got.stderr);
  assert.ok(fs.existsSync(file));
  lines.push(`rmi of a file on a read-only folder: ${r.stderr.trim()}`);
});

test('a full disk under the database folder is one line and places nothing', async (t) => {
  const full = sandbox();
  undo.push(() => full.cleanup());
  const mount = mountTmpfs(path.join(full.home, 'dbdisk'), { sizeKb: 256 });
  if (!mount) {
    skipped.push('full database disk (mount not permitted)');
    t.skip('mount not permitted');
    return;
  }
  undo.push(() => mount.unmount());
  const env = { SREGISTRY_DATABASE: mount.dir, SREGISTRY_STORAGE: full.storage };
  await sampleSif(path.join(full.home, 'good.sif'));
  assert.equal((await full.run(['images'], { env })).code, 0, 'the database is created while there is room');
  try {
    fs.writeFileSync(path.join(mount.dir, 'filler'), Buffer.alloc(1024 * 1024));
  } catch {
    // ENOSPC: the disk is full now, as wanted
  }
  const before = JSON.stringify(fs.existsSync(full.storage) ? fs.readdirSync(full.storage).filter((n) => n !== '.tmp') : []);
  const r = await full.run(['add', 'good.sif', '--name', 'x/y:v1', '--copy'], { env });
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /^ERROR (no space left on the disk of .*dbdisk \(the catalogue database\)|the catalogue database .* could not be written \(disk I\/O error)/,
  );
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.equal(
    JSON.stringify(fs.existsSync(full.storage) ? fs.readdirSync(full.storage).filter((n) => n !== '.tmp') : []),
    before,
    'no image placed',
  );
  assert.deepEqual(readRows(path.join(mount.dir, 'sregistry.db')), []);
  lines.push(`add with the database disk full: ${r.stderr.trim()}`);
});

test('a secrets file that is a FIFO, a link to /dev/zero or huge is refused at once; a writable one warns', async () => {
  const fifo = path.join(sb.home, 'secrets.fifo');
  execFileSync('mkfifo', [fifo]);
  const zero = path.join(sb.home, 'secrets.zero');
  fs.symlinkSync('/dev/zero', zero);
  const huge = path.join(sb.home, 'secrets.huge');
  fs.writeFileSync(huge, `{"hub": {"x": "${'y'.repeat(2 * 1024 * 1024)}"}}`);
  for (const [label, file, expect] of [
    ['a FIFO', fifo, /is unusable: it is not a regular file \(a FIFO, device or socket\)/],
    ['a link to /dev/zero', zero, /is unusable: it is not a regular file/],
    ['a 2 MiB file', huge, /is unusable: it is larger than 1024 KiB/],
  ] as const) {
    await refused({ label: `secrets file: ${label}`, args: ['backend', 'status'], env: { SREGISTRY_CLIENT_SECRETS: file }, expect });
  }
  const writable = path.join(sb.home, 'secrets.writable');
  fs.writeFileSync(writable, '{"SREGISTRY_CLIENT": "hub"}');
  fs.chmodSync(writable, 0o666);
  const r = await sb.run(['backend', 'status'], { env: { SREGISTRY_CLIENT_SECRETS: writable } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^WARNING the secrets file .*secrets\.writable can be changed by other users \(mode 666\); run: chmod 600 /m);
  lines.push(`secrets file mode 0666: ${r.stderr.trim()}`);
});
