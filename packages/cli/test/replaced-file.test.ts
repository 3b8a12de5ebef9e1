// rmi, mv and rename act on the file at a record's path. When the user has since written another file there (a new
// build over the path `mv` gave the image), that file is theirs: refused in one line, file and record as they were.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type RegistryServerHandle, startRegistryServer } from '@sregistry/testkit';
import { linkedPluginData, oneErrorLine, readRows, type Sandbox, sandbox, TOKEN, USER } from './reliability-helpers';

const FIXTURE = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'sif-signatures', 'one-group.sif');
let server: RegistryServerHandle;
let plugins: { dir: string; cleanup(): void };
let sb: Sandbox;

before(async () => {
  server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    seed: [{ name: 'vanessa', owners: [USER], containers: [{ name: 'pulled', tag: 'latest', file: 64 * 1024 }] }],
  });
  plugins = await linkedPluginData();
  sb = sandbox({ pluginData: plugins.dir, env: { SREGISTRY_REGISTRY_BASE: server.url } });
});
after(async () => {
  sb.cleanup();
  plugins.cleanup();
  await server.close();
});

/** `add`s the fixture as `name`, moves its file to `<home>/work/<file>` and writes `text` over it. */
async function replacedOutsideStorage(name: string, file: string, text: string): Promise<string> {
  const source = path.join(sb.home, `${file}.src`);
  fs.copyFileSync(FIXTURE, source);
  const add = await sb.run(['add', source, '--name', name]);
  assert.equal(add.code, 0, add.stderr);
  const work = path.join(sb.home, 'work');
  fs.mkdirSync(work, { recursive: true });
  const moved = path.join(work, file);
  const mv = await sb.run(['mv', name, moved]);
  assert.equal(mv.code, 0, mv.stderr);
  fs.chmodSync(moved, 0o644);
  fs.writeFileSync(moved, text);
  return moved;
}

function rowsNamed(name: string) {
  return readRows(sb.dbFile).filter((r) => `${r.collection}/${r.name}` === name);
}

test('rmi, rename and mv leave a file that is no longer the image (outside storage: its sha256)', async () => {
  const file = await replacedOutsideStorage('k/k', 'mine.sif', 'my new unrelated build\n');
  const before = readRows(sb.dbFile);
  for (const args of [
    ['rmi', 'k/k'],
    ['rename', 'k/k', 'k/renamed'],
    ['mv', 'k/k', path.join(sb.home, 'elsewhere.sif')],
  ]) {
    const r = await sb.run(args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.equal(oneErrorLine(r), undefined);
    const line = r.stderr;
    assert.match(line, /mine\.sif is no longer the image k\/k:latest@[0-9a-f]{64} \(its SHA-256 is not the image's\)/, r.stderr);
    assert.match(line, /`sregistry rm k\/k:latest@[0-9a-f]{64}` drops the record and keeps the file/);
    assert.equal(fs.readFileSync(file, 'utf8'), 'my new unrelated build\n', `${args[0]} kept the file`);
    assert.deepEqual(readRows(sb.dbFile), before, `${args[0]} kept the record`);
  }
  assert.ok(!fs.existsSync(path.join(sb.home, 'elsewhere.sif')));
  const json = await sb.run(['rmi', 'k/k', '--json']);
  assert.equal(JSON.parse(json.stdout).error.code, 'EFILEREPLACED');
  // the fix the line gives: rm drops the record, the file stays
  const rm = await sb.run(['rm', 'k/k']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(fs.readFileSync(file, 'utf8'), 'my new unrelated build\n');
  assert.deepEqual(rowsNamed('k/k'), []);
});

test('rmi --force deletes the file anyway; the image itself moved outside storage is removed as before', async () => {
  const file = await replacedOutsideStorage('f/f', 'forced.sif', 'not the image\n');
  const forced = await sb.run(['rmi', '--force', 'f/f']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.ok(!fs.existsSync(file));
  assert.deepEqual(rowsNamed('f/f'), []);

  // unchanged bytes outside storage: hashed, found to be the image, deleted
  const source = path.join(sb.home, 'same.src');
  fs.copyFileSync(FIXTURE, source);
  assert.equal((await sb.run(['add', source, '--name', 's/s'])).code, 0);
  const moved = path.join(sb.home, 'same.sif');
  assert.equal((await sb.run(['mv', 's/s', moved])).code, 0);
  const renamed = await sb.run(['rename', 's/s', 's/t']);
  assert.equal(renamed.code, 0, renamed.stderr);
  const rmi = await sb.run(['rmi', 's/t']);
  assert.equal(rmi.code, 0, rmi.stderr);
  assert.deepEqual(rowsNamed('s/t'), []);
});

test('a pulled image knows its size: a file of another size at its path is refused, in storage too', async () => {
  const pull = await sb.run(['pull', 'registry://vanessa/pulled:latest']);
  assert.equal(pull.code, 0, pull.stderr);
  const [row] = rowsNamed('vanessa/pulled');
  assert.ok(row?.image);
  fs.chmodSync(row.image, 0o644);
  fs.appendFileSync(row.image, 'x');
  const r = await sb.run(['rmi', 'vanessa/pulled']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(oneErrorLine(r), undefined);
  assert.match(
    r.stderr,
    /is no longer the image vanessa\/pulled:latest@[0-9a-f]{64} \(it is 65537 bytes, the image was 65536\): rmi left it alone/,
  );
  assert.ok(fs.existsSync(row.image));
  const forced = await sb.run(['rmi', '-f', 'vanessa/pulled']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.ok(!fs.existsSync(row.image));
});

test('rmi of a record whose file was replaced by a folder: refused in one line, --force or not; the folder and row stay', async () => {
  const source = path.join(sb.home, 'folder-case.src');
  fs.copyFileSync(FIXTURE, source);
  assert.equal((await sb.run(['add', source, '--name', 'f/folder'])).code, 0);
  const file = (await sb.run(['get', 'f/folder'])).stdout.trim();
  fs.rmSync(file);
  fs.mkdirSync(file);
  fs.writeFileSync(path.join(file, 'keep.txt'), 'mine\n');
  for (const args of [
    ['rmi', 'f/folder'],
    ['rmi', '--force', 'f/folder'],
  ]) {
    const r = await sb.run(args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /^ERROR .* is no longer the image f\/folder:latest@[0-9a-f]{64} \(it is a folder\): rmi left it alone; `sregistry rm /m,
    );
    assert.equal(oneErrorLine(r), undefined);
  }
  assert.equal(fs.readFileSync(path.join(file, 'keep.txt'), 'utf8'), 'mine\n');
  assert.equal(rowsNamed('f/folder').length, 1);
  fs.rmSync(file, { recursive: true });
  assert.equal((await sb.run(['rm', 'f/folder'])).code, 0);
});
