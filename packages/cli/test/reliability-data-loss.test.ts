// The ways a command could lose data by writing where it must not (issue 11, round 2): the catalogue's own
// database and storage's hidden folders reached under any spelling (direct, symlinked folder, `..`, bind mount),
// another image's file (symlinked storage, hard link), an unrelated existing file without --force, special files
// (FIFO, device), a catalogued file moved away from its record, and empty or hidden names. Each refusal must be
// one `ERROR …; fix` line that changes nothing (refusedCleanly); the cases that must work check the files.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type RegistryServerHandle, SifFsType, SifPartType, sampleSif, startRegistryServer } from '@sregistry/testkit';
import {
  type BadCase,
  duringPause,
  invariantProblems,
  linkedPluginData,
  readRows,
  refusedCleanly,
  type Sandbox,
  sandbox,
  sha256,
  TOKEN,
  USER,
} from './reliability-helpers';

let server: RegistryServerHandle;
let plugins: { dir: string; cleanup(): void };
let sb: Sandbox;
let good: string;
let fileOf: (uri: string) => string;
const lines: string[] = [];
const skipped: string[] = [];
const undo: (() => void)[] = [];
const PULL = 'registry://vanessa/tacos:latest';

function fresh(): Sandbox {
  const s = sandbox({ pluginData: plugins.dir, env: { SREGISTRY_REGISTRY_BASE: server.url } });
  fs.writeFileSync(s.secretsFile, JSON.stringify({ registry: { username: USER, token: TOKEN } }), { mode: 0o600 });
  undo.push(() => s.cleanup());
  return s;
}

before(async () => {
  server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    seed: [{ name: 'vanessa', owners: [USER], containers: [{ name: 'tacos', tag: 'latest', file: Buffer.from('tacos\n') }] }],
  });
  plugins = await linkedPluginData();
  sb = fresh();
  good = path.join(sb.home, 'good.sif');
  await sampleSif(good);
  for (const name of ['keep/one:v1', 'keep/two:v1']) {
    const r = await sb.run(['add', good, '--name', name, '--copy']);
    assert.equal(r.code, 0, r.stderr);
  }
  const pulled = await sb.run(['pull', PULL]);
  assert.equal(pulled.code, 0, pulled.stderr);
  fileOf = (uri) => readRows(sb.dbFile).find((r) => `${r.collection}/${r.name}:${r.tag}` === uri)!.image!;
  // other spellings of the catalogue's folders
  fs.symlinkSync(sb.database, path.join(sb.home, 'dblink'));
  fs.symlinkSync(sb.storage, path.join(sb.home, 'storelink'));
  fs.mkdirSync(path.join(sb.storage, '.tmp', 'journal'), { recursive: true });
  fs.symlinkSync(path.join(sb.storage, '.tmp'), path.join(sb.home, 'tmplink'));
  fs.linkSync(fileOf('keep/two:v1'), path.join(sb.home, 'second-name.sif'));
  fs.writeFileSync(path.join(sb.home, 'precious.txt'), 'precious\n');
  execFileSync('mkfifo', [path.join(sb.home, 'fifo')]);
});
after(async () => {
  console.log(`# data loss: ${lines.length} cases refused cleanly; skipped: ${skipped.join('; ') || 'none'}`);
  for (const l of lines) console.log(`#   ${l.slice(0, 220)}`);
  for (const u of undo.reverse()) u();
  plugins.cleanup();
  await server.close();
});

const CATALOGUE = /one of the catalogue's database files|the catalogue's database/;
const HIDDEN = /storage folder's hidden folders/;
const cases: () => BadCase[] = () => [
  { label: 'mv onto the database', args: ['mv', 'keep/one:v1', sb.dbFile], expect: CATALOGUE },
  { label: 'mv onto the database through a symlinked folder', args: ['mv', 'keep/one:v1', 'dblink/sregistry.db'], expect: CATALOGUE },
  { label: 'mv onto the WAL through a `..` spelling', args: ['mv', 'keep/one:v1', 'dblink/shub/../sregistry.db-wal'], expect: CATALOGUE },
  {
    label: 'mv onto a new rollback journal of the database',
    args: ['mv', 'keep/one:v1', 'dblink/sregistry.db-journal'],
    expect: CATALOGUE,
  },
  { label: 'pull --force --name the database', args: ['pull', '--force', '--name', sb.dbFile, PULL], expect: CATALOGUE },
  {
    label: 'pull --no-cache --force --name the database (symlinked folder)',
    args: ['pull', '--no-cache', '--force', '--name', 'dblink/sregistry.db', PULL],
    expect: CATALOGUE,
  },
  { label: 'mv into storage/.tmp/', args: ['mv', 'keep/one:v1', path.join(sb.storage, '.tmp')], expect: HIDDEN },
  {
    label: 'mv onto an intent in the journal',
    args: ['mv', 'keep/one:v1', path.join(sb.storage, '.tmp', 'journal', 'x.json')],
    expect: HIDDEN,
  },
  { label: 'mv into .tmp through a symlink', args: ['mv', 'keep/one:v1', 'tmplink/x.sif'], expect: HIDDEN },
  { label: 'mv into a new hidden folder of storage', args: ['mv', 'keep/one:v1', 'storelink/.cache.sif'], expect: HIDDEN },
  { label: 'pull --name into storage/.tmp', args: ['pull', '--name', path.join(sb.storage, '.tmp', 'x.sif'), PULL], expect: HIDDEN },
  {
    label: "pull --force --name another image's file",
    args: ['pull', '--force', '--name', fileOf('keep/two:v1'), PULL],
    expect: /is the file of keep\/two:v1/,
  },
  {
    label: "mv onto another image's file through symlinked storage",
    args: ['mv', 'keep/one:v1', path.join('storelink', path.relative(sb.storage, fileOf('keep/two:v1')))],
    expect: /is the file of keep\/two:v1/,
  },
  {
    label: "mv onto a hard link of another image's file",
    args: ['mv', 'keep/one:v1', 'second-name.sif'],
    expect: /is the file of keep\/two:v1/,
  },
  {
    label: 'mv onto an unrelated existing file without --force',
    args: ['mv', 'keep/one:v1', 'precious.txt'],
    expect: /exists; remove it first, or use --force/,
  },
  {
    label: 'add (move) of a file another record owns',
    args: ['add', fileOf('keep/one:v1'), '--name', 'x/y:v1'],
    expect: /is already catalogued as keep\/one:v1@[0-9a-f]{64}; add it with --copy/,
  },
  {
    label: 'add (move) of that file through symlinked storage',
    args: ['add', path.join('storelink', path.relative(sb.storage, fileOf('keep/one:v1'))), '--name', 'x/y:v1'],
    expect: /is already catalogued as keep\/one:v1/,
  },
  { label: 'mv onto a FIFO', args: ['mv', 'keep/one:v1', 'fifo'], expect: /exists and is a FIFO, not a regular file/ },
  { label: 'pull --force --name a FIFO', args: ['pull', '--force', '--name', 'fifo', PULL], expect: /exists and is a FIFO/ },
  {
    label: 'pull --force --no-cache --name a FIFO',
    args: ['pull', '--no-cache', '--force', '--name', 'fifo', PULL],
    expect: /exists and is a FIFO/,
  },
  {
    label: 'mv onto a folder-like name of a temp file',
    args: ['mv', 'keep/one:v1', '.x.sif.sregistry-1-ab.tmp'],
    expect: /named like a temporary file/,
  },
  { label: 'mv to an empty path', args: ['mv', 'keep/one:v1', ''], expect: /destination path is empty/, exit: 2 },
  { label: 'pull --name ""', args: ['pull', '--name', '', PULL], expect: /--name is empty/, exit: 2 },
  {
    label: 'rename to .tmp/journal:x',
    args: ['rename', 'keep/one:v1', '.tmp/journal:x'],
    expect: /names a registry \(\.tmp\)|the registry "\.tmp" is not a host/,
  },
];

test('writes that would reach the catalogue, hidden folders, other images or special files are refused cleanly', async () => {
  for (const c of cases()) lines.push(`${c.label}: ${await refusedCleanly(sb, c)}`);
  assert.deepEqual(invariantProblems(sb), []);
  assert.equal(fs.readFileSync(path.join(sb.home, 'precious.txt'), 'utf8'), 'precious\n');
  assert.ok(fs.statSync(path.join(sb.home, 'fifo')).isFIFO());
});

test('a bind mount of the database folder is recognised by device and inode', async (t) => {
  const bind = path.join(sb.home, 'bind');
  fs.mkdirSync(bind);
  try {
    execFileSync('mount', ['--bind', sb.database, bind], { stdio: 'ignore' });
  } catch {
    skipped.push('bind mount (mount not permitted)');
    t.skip('mount --bind not permitted');
    return;
  }
  try {
    const c: BadCase = {
      label: 'mv onto the database through a bind mount',
      args: ['mv', 'keep/one:v1', 'bind/sregistry.db'],
      expect: CATALOGUE,
    };
    lines.push(`${c.label}: ${await refusedCleanly(sb, c)}`);
    const hidden: BadCase = {
      label: 'mv into .tmp through a bind mount',
      args: ['mv', 'keep/one:v1', 'bind/shub/.tmp/x.sif'],
      expect: HIDDEN,
    };
    lines.push(`${hidden.label}: ${await refusedCleanly(sb, hidden)}`);
  } finally {
    execFileSync('umount', ['-l', bind], { stdio: 'ignore' });
  }
});

test('a device node is never replaced', async (t) => {
  const dev = path.join(sb.home, 'fullish');
  try {
    execFileSync('mknod', [dev, 'c', '1', '7'], { stdio: 'ignore' });
  } catch {
    skipped.push('device node (mknod not permitted)');
    t.skip('mknod not permitted');
    return;
  }
  try {
    for (const args of [
      ['mv', 'keep/one:v1', 'fullish'],
      ['pull', '--force', '--name', 'fullish', PULL],
    ]) {
      lines.push(`${args.join(' ')}: ${await refusedCleanly(sb, { label: args.join(' '), args, expect: /exists and is a device/ })}`);
    }
    assert.ok(fs.statSync(dev).isCharacterDevice());
  } finally {
    fs.rmSync(dev, { force: true });
  }
});

test('mv --force replaces an unrelated file; the record follows', async () => {
  const s = fresh();
  await sampleSif(path.join(s.home, 'a.sif'));
  assert.equal((await s.run(['add', 'a.sif', '--name', 'c/a:v1'])).code, 0);
  fs.writeFileSync(path.join(s.home, 'old.txt'), 'old\n');
  const r = await s.run(['mv', '--force', 'c/a:v1', 'old.txt']);
  assert.equal(r.code, 0, r.stderr);
  const [row] = readRows(s.dbFile);
  assert.equal(row!.image, path.join(s.home, 'old.txt'));
  assert.equal(row!.version, sha256(path.join(s.home, 'old.txt')));
});

test('add --copy of a catalogued file makes a second record; both keep their files', async () => {
  const s = fresh();
  await sampleSif(path.join(s.home, 'a.sif'));
  assert.equal((await s.run(['add', 'a.sif', '--name', 'c/a:v1'])).code, 0);
  const first = readRows(s.dbFile)[0]!.image!;
  const r = await s.run(['add', first, '--name', 'x/y:v1', '--copy']);
  assert.equal(r.code, 0, r.stderr);
  const rows = readRows(s.dbFile);
  assert.equal(rows.length, 2);
  for (const row of rows) assert.ok(fs.statSync(row.image!).isFile(), `${row.image} exists`);
  assert.deepEqual(invariantProblems(s), []);
});

test("add <symlink> stores the target's bytes and leaves the link and its target", async () => {
  const s = fresh();
  const target = path.join(s.home, 'real.sif');
  await sampleSif(target);
  const digest = sha256(target);
  fs.symlinkSync(target, path.join(s.home, 'link.sif'));
  const r = await s.run(['add', 'link.sif', '--name', 'c/l:v1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /is a symbolic link: its target's bytes were copied/);
  assert.ok(fs.lstatSync(path.join(s.home, 'link.sif')).isSymbolicLink());
  assert.equal(sha256(target), digest);
  const [row] = readRows(s.dbFile);
  assert.ok(fs.lstatSync(row!.image!).isFile(), 'the stored file is a regular file, not a link');
  assert.equal(sha256(row!.image!), digest);
});

test('pull --name of a catalogued image removes the stored copy its record left (issue 12)', async () => {
  const s = fresh();
  assert.equal((await s.run(['pull', PULL])).code, 0);
  const stored = readRows(s.dbFile)[0]!.image!;
  const named = path.join(s.home, 'named.sif');
  const r = await s.run(['pull', '--name', named, PULL]);
  assert.equal(r.code, 0, r.stderr);
  const rows = readRows(s.dbFile);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.image, named);
  assert.equal(fs.existsSync(stored), false, 'the old stored copy is gone');
  assert.deepEqual(invariantProblems(s), []);
});

const PART = { fsType: SifFsType.Squashfs, partType: SifPartType.PrimSys, arch: 'amd64' } as const;

test('adds of other bytes under one name@version at the same moment: one wins, the other changes nothing, no bytes are lost', async () => {
  const s = fresh();
  // two at once, as two users of one catalogue would: the race is between one's check and the other's placing
  for (let round = 0; round < 6; round++) {
    const sources = await Promise.all(
      ['a', 'b'].map(async (who) => {
        const file = path.join(s.home, `race-${round}-${who}.sif`);
        await sampleSif(file, { partition: { data: Buffer.from(`race ${round} ${who}\n`), ...PART } });
        return { file, sha: sha256(file) };
      }),
    );
    const name = `race/r${round}:t@v1`;
    const results = await Promise.all(sources.map(({ file }) => s.run(['add', file, '--name', name])));
    const report = results.map((r) => `${r.code} ${r.stdout}${r.stderr}`).join('\n');
    assert.equal(results.filter((r) => r.code === 0).length, 1, report);
    const loser = results.find((r) => r.code !== 0)!;
    assert.equal(loser.stderr.trim().split('\n').length, 1, report);
    assert.match(loser.stderr, /appeared while this command ran|catalogued already, with other bytes/);
    // the winner's bytes are in storage, the loser's still at its own path
    const rows = readRows(s.dbFile).filter((r) => r.collection === 'race' && r.name === `r${round}`);
    assert.equal(rows.length, 1, report);
    const held = sha256(rows[0]!.image!);
    const kept = sources.filter(({ file }) => fs.existsSync(file)).map(({ sha }) => sha);
    assert.deepEqual(new Set([held, ...kept]), new Set(sources.map(({ sha }) => sha)), `round ${round}: no bytes lost\n${report}`);
  }
  assert.deepEqual(invariantProblems(s), []);
});

test("an add that finds another add's file placed but not yet catalogued says another command put it there, and changes nothing", async () => {
  const s = fresh();
  const [first, second] = await Promise.all(
    ['first', 'second'].map(async (who) => {
      const file = path.join(s.home, `window-${who}.sif`);
      await sampleSif(file, { partition: { data: Buffer.from(`window ${who}\n`), ...PART } });
      return { file, sha: sha256(file) };
    }),
  );
  const name = 'race/window:t@v1';
  const { paused, result } = await duringPause(s, ['add', first!.file, '--name', name], 'add-after-place-before-row', () =>
    s.run(['add', second!.file, '--name', name]),
  );
  assert.ok(paused, 'the first add reached the moment between its placing and its row');
  assert.notEqual(result.code, 0, result.stderr);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /appeared while this command ran: another command put a file there/);
  assert.equal(sha256(second!.file), second!.sha, "the second add's file is where it was");
  // the next command finishes the first add (killed after placing): its row, its bytes
  assert.equal((await s.run(['images'])).code, 0);
  const rows = readRows(s.dbFile).filter((r) => r.collection === 'race' && r.name === 'window');
  assert.equal(rows.length, 1);
  assert.equal(sha256(rows[0]!.image!), first!.sha);
  assert.deepEqual(invariantProblems(s), []);
});

test('renames of two images to one new name at the same moment: one wins, the other keeps its name and file', async () => {
  const s = fresh();
  const shas: string[] = [];
  for (const n of ['a', 'b']) {
    const file = path.join(s.home, `${n}.sif`);
    await sampleSif(file, { partition: { data: Buffer.from(`image ${n}\n`.repeat(20_000)), ...PART } });
    shas.push(sha256(file));
    assert.equal((await s.run(['add', file, '--name', `ren/${n}:t@v1`])).code, 0);
  }
  const results = await Promise.all(['a', 'b'].map((n) => s.run(['rename', `ren/${n}:t@v1`, 'ren/same:t@v1'])));
  assert.equal(results.filter((r) => r.code === 0).length, 1, results.map((r) => `${r.code} ${r.stderr}`).join('\n'));
  const loser = results.find((r) => r.code !== 0)!;
  assert.equal(loser.stderr.trim().split('\n').length, 1, loser.stderr);
  assert.doesNotMatch(loser.stderr, /unexpected failure/);
  const rows = readRows(s.dbFile);
  assert.equal(rows.length, 2);
  for (const row of rows) assert.ok(fs.existsSync(row.image!), `${row.image} exists`);
  assert.deepEqual(new Set(rows.map((r) => sha256(r.image!))), new Set(shas), 'both images keep their bytes');
  assert.deepEqual(invariantProblems(s), []);
});
