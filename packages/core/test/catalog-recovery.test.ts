import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openCatalog, openDatabase } from '../src/catalog/index';
import type { Intent } from '../src/catalog/journal';
import { sweepMarkerFor } from '../src/catalog/sweep-marker';
import { HOST_TAG } from '../src/storage/temp-files';
import { parseImageName } from '../src/uri/parse';
import { DATABASE_KINDS, testDatabase } from './catalog-databases';
import { exists, HELLO_SHA256, tempDir, writeImage } from './catalog-helpers';

const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid as number;

/** An intent left by process `pid` of this node; `writer` overrides who wrote it and when (another node, an earlier version). */
async function writeIntent(
  storage: string,
  body: Record<string, unknown>,
  pid = deadPid(),
  writer: { hostTag?: string | undefined; startedAt?: string } = {},
): Promise<string> {
  const file = path.join(storage, '.tmp', 'journal', `1-${pid}-abcd.json`);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const intent = { ...body, pid, host: os.hostname(), hostTag: HOST_TAG, startedAt: new Date().toISOString(), ...writer } as Intent;
  await fs.writeFile(file, JSON.stringify(intent));
  return file;
}

function layout(dir: string) {
  return { storage: path.join(dir, 'shub'), databaseFile: path.join(dir, 'sregistry.db') };
}

test('recovery writes the row for a file an interrupted add already placed', async (t) => {
  const dir = await tempDir(t);
  const { storage, databaseFile } = layout(dir);
  const dest = await writeImage(storage, `vsoch/hello/latest@${HELLO_SHA256}.sif`);
  const row = {
    collection: 'vsoch',
    name: 'hello',
    tag: 'latest',
    version: HELLO_SHA256,
    image: dest,
    url: 'vsoch/hello',
    client: 'hub',
    metrics: { type: 'container' },
  };
  const intent = await writeIntent(storage, { op: 'add', source: path.join(dir, 'gone.sif'), dest, copy: false, row });

  const catalog = await openCatalog({ databaseFile, storageDir: storage });
  t.after(() => catalog.close());
  const [record] = await catalog.list();
  assert.equal(record?.image, dest);
  assert.equal(record.uri, `vsoch/hello:latest@${HELLO_SHA256}`);
  assert.equal(await exists(intent), false, 'the intent is done');
  assert.deepEqual(await catalog.recover(), { intents: 0, tempFiles: 0, swept: true, failed: [] }, 'recovering again changes nothing');
  assert.equal((await catalog.list()).length, 1);
});

test('recovery finishes an add interrupted before the move, and drops one that never started', async (t) => {
  const dir = await tempDir(t);
  const { storage, databaseFile } = layout(dir);
  const source = await writeImage(path.join(storage, '.tmp'), 'download.part');
  const dest = path.join(storage, 'c', 'n', `latest@${HELLO_SHA256}.sif`);
  const row = {
    collection: 'c',
    name: 'n',
    tag: 'latest',
    version: HELLO_SHA256,
    image: dest,
    url: 'c/n',
    client: 'registry',
    metrics: {},
  };
  await writeIntent(storage, { op: 'add', source, dest, copy: false, row });
  const neverDest = path.join(storage, 'c', 'never', 'latest@x.sif');
  await writeIntent(
    storage,
    { op: 'add', source: path.join(dir, 'vanished'), dest: neverDest, copy: true, row: { ...row, name: 'never', image: neverDest } },
    deadPid(),
  );

  const catalog = await openCatalog({ databaseFile, storageDir: storage });
  t.after(() => catalog.close());
  assert.equal(await exists(source), false);
  assert.equal(await exists(dest), true);
  assert.deepEqual(
    (await catalog.list()).map((r) => r.name),
    ['n'],
  );
  assert.deepEqual(await fs.readdir(path.join(storage, '.tmp', 'journal')), []);
});

test('recovery rolls an interrupted move/rename forward and finishes an interrupted rmi', async (t) => {
  const dir = await tempDir(t);
  const { storage, databaseFile } = layout(dir);
  let catalog = await openCatalog({ databaseFile, storageDir: storage });
  const a = await catalog.add({ file: await writeImage(dir, 'a.sif', 'a\n'), name: parseImageName('c/a'), client: 'hub' });
  const b = await catalog.add({ file: await writeImage(dir, 'b.sif', 'b\n'), name: parseImageName('c/b'), client: 'hub' });
  const r = await catalog.add({ file: await writeImage(dir, 'r.sif', 'r\n'), name: parseImageName('c/r'), client: 'hub' });
  await catalog.close();

  // a: the file was renamed but the row still points to the old path (crash between rename and commit)
  const aTo = path.join(dir, 'out', 'a.sif');
  await fs.mkdir(path.dirname(aTo));
  await fs.rename(a.path, aTo);
  await writeIntent(storage, { op: 'move', id: a.record.id, from: a.path, to: aTo, changes: { image: aTo } });
  // r: a rename whose file move had not happened yet
  const rTo = path.join(storage, 'new', 'name', `${path.basename(r.path)}`);
  const changes = { collection: 'new', name: 'name', tag: 'latest', uri: `new/name:${r.record.uri?.split(':')[1]}`, image: rTo };
  await writeIntent(storage, { op: 'move', id: r.record.id, from: r.path, to: rTo, changes }, deadPid());
  // b: the row was deleted, the file not yet
  const raw = await openDatabase(databaseFile);
  await raw.remove(b.record.id);
  await raw.close();
  await writeIntent(storage, { op: 'remove', id: b.record.id, file: b.path }, deadPid());

  catalog = await openCatalog({ databaseFile, storageDir: storage });
  t.after(() => catalog.close());
  const rows = await catalog.list();
  assert.deepEqual(
    rows.map((x) => [x.collection, x.name, x.image]),
    [
      ['c', 'a', aTo],
      ['new', 'name', rTo],
    ],
  );
  assert.equal(await exists(b.path), false);
  assert.equal(await exists(r.path), false);
  assert.equal(await exists(rTo), true);
});

test('recovery leaves the intents of running processes alone', async (t) => {
  const dir = await tempDir(t);
  const { storage, databaseFile } = layout(dir);
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  t.after(() => {
    child.kill('SIGKILL');
  });
  const dest = await writeImage(storage, 'c/n/latest@v.sif');
  const row = { collection: 'c', name: 'n', tag: 'latest', version: 'v', image: dest, url: 'c/n', client: 'hub', metrics: {} };
  const intent = await writeIntent(storage, { op: 'add', source: path.join(dir, 'x'), dest, copy: true, row }, child.pid as number);
  const catalog = await openCatalog({ databaseFile, storageDir: storage });
  t.after(() => catalog.close());
  assert.equal(await exists(intent), true);
  assert.deepEqual(await catalog.list(), []);
});

test("recovery judges by pid only the intents of this node's host tag; another node's and old untagged ones are kept", async (t) => {
  const dir = await tempDir(t);
  const { storage, databaseFile } = layout(dir);
  const dest = await writeImage(storage, `vsoch/hello/latest@${HELLO_SHA256}.sif`);
  const row = {
    collection: 'vsoch',
    name: 'hello',
    tag: 'latest',
    version: HELLO_SHA256,
    image: dest,
    url: 'vsoch/hello',
    client: 'hub',
    metrics: {},
  };
  const body = { op: 'add', source: path.join(dir, 'gone.sif'), dest, copy: false, row };
  const dayAndAHour = new Date(Date.now() - 25 * 3600 * 1000).toISOString();
  // same host name, another tag (a container or node sharing the folder); its pid is dead here, which says nothing
  const otherNode = await writeIntent(storage, body, deadPid(), { hostTag: HOST_TAG === '00000000' ? '11111111' : '00000000' });
  const oldOtherNode = await writeIntent(storage, body, deadPid(), { hostTag: 'ffffffff', startedAt: dayAndAHour });
  // written by an earlier version (bare host name, no tag), recently: its writer may be a live process elsewhere
  const legacyYoung = await writeIntent(storage, body, deadPid(), { hostTag: undefined });
  const catalog = await openCatalog({ databaseFile, storageDir: storage });
  t.after(() => catalog.close());
  for (const f of [otherNode, oldOtherNode, legacyYoung]) assert.equal(await exists(f), true, path.basename(f));
  assert.deepEqual(await catalog.list(), [], 'nothing rolled forward');
  // an untagged intent older than a day whose pid no process here has: abandoned, finished
  await fs.rm(legacyYoung);
  const legacyOld = await writeIntent(storage, body, deadPid(), { hostTag: undefined, startedAt: dayAndAHour });
  const report = await catalog.recover();
  assert.equal(report.intents, 1);
  assert.equal(await exists(legacyOld), false);
  assert.equal((await catalog.list()).length, 1);
  assert.equal(await exists(otherNode), true);
  assert.equal(await exists(oldOtherNode), true, "another node's intent is never judged here");
});

for (const kind of DATABASE_KINDS) {
  test(`[${kind}] a SIGKILL at any moment keeps every row's file and leaves no stored file without a row`, async (t) => {
    const dir = await tempDir(t);
    const { storage } = layout(dir);
    const db = await testDatabase(t, kind, dir);
    if (!db) return;
    const { databaseFile, databaseUrl } = db.location;
    const script = path.join(dir, 'worker.ts');
    await fs.writeFile(
      script,
      `import fs from 'node:fs';
import path from 'node:path';
import { openCatalog } from ${JSON.stringify(path.resolve(__dirname, '../src/catalog/index'))};
import { parseImageName } from ${JSON.stringify(path.resolve(__dirname, '../src/uri/parse'))};
(async () => {
  const [databaseFile, storageDir, work, databaseUrl] = process.argv.slice(2);
  const catalog = await openCatalog({ databaseFile, storageDir, databaseUrl: databaseUrl || undefined });
  fs.mkdirSync(path.join(work, 'out'), { recursive: true });
  process.stdout.write('ready\\n');
  for (let i = 0; ; i++) {
    const file = path.join(work, 'src-' + process.pid + '-' + i + '.sif');
    fs.writeFileSync(file, Buffer.alloc(1024 * 1024 + i, i % 251));
    const { record } = await catalog.add({ file, name: parseImageName('k/img' + (i % 7)), client: 'hub', copy: i % 2 === 0 });
    if (i === 0) process.stdout.write('added\\n');
    if (i % 3 === 1) await catalog.rename(record, parseImageName('k/renamed' + process.pid + '-' + i));
    else if (i % 4 === 2) await catalog.remove(record, { deleteFile: true });
    else if (i % 5 === 3) await catalog.move(record, path.join(work, 'out'), { force: true }); // an earlier round's file may be there
  }
})();
`,
    );
    const repoRoot = path.resolve(__dirname, '../../..');
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script, databaseFile, storage, dir, databaseUrl ?? ''], {
        cwd: repoRoot,
        env: { ...process.env, TSX_TSCONFIG_PATH: path.join(repoRoot, 'tsconfig.base.json') },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let alive = true;
      const exited = new Promise<void>((resolve) =>
        child.on('exit', () => {
          alive = false;
          resolve();
        }),
      );
      await Promise.race([
        // the first add done, then a random moment: on a loaded machine (or with the rollback journal's fsyncs) a
        // fixed delay after start-up could end before any work, and the round would test nothing
        new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('added') && resolve())),
        exited,
      ]);
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 400));
      assert.ok(alive, `round ${round}: the worker was still working when killed`);
      child.kill('SIGKILL');
      await exited;

      // the next command, on this node or another one (PostgreSQL: the killed session's intent lock is gone)
      const catalog = await openCatalog({ ...db.location, storageDir: storage, tempMaxAgeMs: 0 });
      const rows = await catalog.list();
      await catalog.close();
      assert.ok(rows.length > 0, 'the worker got some work done');
      for (const row of rows) assert.ok(row.image && (await exists(row.image)), `round ${round}: ${row.uri} has its file ${row.image}`);
      const referenced = new Set(rows.map((r) => r.image));
      const stored = (await fs.readdir(storage, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
        .filter((file) => file !== sweepMarkerFor(storage));
      for (const file of stored) assert.ok(referenced.has(file), `round ${round}: ${file} has a row`);
      assert.deepEqual(await fs.readdir(path.join(storage, '.tmp', 'journal')).catch(() => []), [], 'no intent left');
    }
  });
}
