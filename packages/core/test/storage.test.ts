import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { createStorage, placeFile, storagePath } from '../src/storage/index';
import { HOST_TAG, noteTemp, removeStaleTempsBeside, tempBeside, tempFolderNeedsSweep } from '../src/storage/temp-files';
import { parseImageName, withVersion } from '../src/uri/parse';
import { exists, tempDir, writeImage } from './catalog-helpers';

test('pathFor: <root>/<collection>/<image>/<tag>@<version>.sif, nested collections, registry left out', async (t) => {
  const root = await tempDir(t);
  const storage = createStorage(root);
  const named = (n: string, v: string) => ({ ...withVersion(parseImageName(n), v), version: v });
  assert.equal(storage.pathFor(named('vsoch/hello-world:v1', 'abc')), path.join(root, 'vsoch', 'hello-world', 'v1@abc.sif'));
  assert.equal(storage.pathFor(named('a/b/c/d:tag', 'v')), path.join(root, 'b', 'c', 'd', 'tag@v.sif'));
  assert.equal(storage.pathFor(named('registry.example.com/coll/name:tag', 'v')), path.join(root, 'coll', 'name', 'tag@v.sif'));
  assert.equal(storage.pathFor(named('coll/name', '')), path.join(root, 'coll', 'name', 'latest.sif'), 'no version: <tag>.sif');
});

test('pathFor refuses names that would leave the root or land in its reserved folders', async (t) => {
  const root = await tempDir(t);
  const refused = (name: { collection: string; image: string; tag: string; version?: string }) =>
    assert.throws(
      () => storagePath(root, { ...name, uri: 'x' }),
      (e: Error) => e.name === 'UserError' && /Cannot store/.test(e.message),
      JSON.stringify(name),
    );
  refused({ collection: '..', image: 'x', tag: 't', version: 'v' });
  refused({ collection: 'a/../../..', image: 'x', tag: 't', version: 'v' });
  refused({ collection: 'c', image: '..', tag: 't', version: 'v' });
  refused({ collection: 'c', image: 'x', tag: '../../t', version: 'v' });
  refused({ collection: 'c', image: 'x', tag: 't', version: '../../../etc/passwd' });
  refused({ collection: '/etc', image: 'x', tag: 't', version: 'v' });
  refused({ collection: '.tmp', image: 'journal', tag: 't', version: 'v' });
  refused({ collection: 'c', image: 'x', tag: '', version: 'v' });
  assert.equal(storagePath(root, { collection: 'c', image: 'x', tag: 't', version: 'v', uri: 'x' }), path.join(root, 'c', 'x', 't@v.sif'));
});

test('place: a copy is never visible half-written; move renames; folders are created', async (t) => {
  const root = await tempDir(t);
  const storage = createStorage(root);
  const big = Buffer.alloc(48 * 1024 * 1024, 7);
  const source = path.join(root, '.tmp', 'big.part');
  await fs.mkdir(path.dirname(source), { recursive: true });
  await fs.writeFile(source, big);
  const dest = path.join(root, 'c', 'img', 'latest@v.sif');

  // Watch the destination while the copy runs: whenever it exists it must be complete.
  let watching = true;
  let seenPartial = 0;
  let polls = 0;
  const watcher = (async () => {
    while (watching) {
      polls++;
      const stat = await fs.stat(dest).catch(() => undefined);
      if (stat && stat.size !== big.length) seenPartial++;
      await new Promise((r) => setImmediate(r));
    }
  })();
  await storage.place(source, dest, { copy: true });
  watching = false;
  await watcher;
  assert.ok(polls > 1, 'the watcher ran during the copy');
  assert.equal(seenPartial, 0);
  assert.equal((await fs.stat(dest)).size, big.length);
  assert.equal(await exists(source), true, 'copy keeps the source');
  assert.deepEqual(
    (await fs.readdir(path.dirname(dest))).filter((n) => n.endsWith('.tmp')),
    [],
    'no temp file left',
  );

  const moved = path.join(root, 'c', 'img2', 'latest@v.sif');
  await storage.place(source, moved);
  assert.equal(await exists(source), false);
  assert.equal((await fs.stat(moved)).size, big.length);

  await storage.place(moved, moved); // same path: nothing to do, nothing lost
  assert.equal((await fs.stat(moved)).size, big.length);
  await assert.rejects(storage.place(path.join(root, 'missing'), path.join(root, 'x', 'y.sif'), { copy: true }), /ENOENT/);
  assert.deepEqual((await fs.readdir(path.join(root, 'x'))).length, 0, 'a failed copy leaves no temp file');
});

test('tempPath lives in <root>/.tmp; cleanTemp removes old leftovers only, never intents or images', async (t) => {
  const root = await tempDir(t);
  const storage = createStorage(root);
  const temp = await storage.tempPath('../../evil name');
  assert.equal(path.dirname(temp), path.join(root, '.tmp'));
  assert.match(path.basename(temp), /^\.evil_name\.sregistry-[0-9a-f]{8}-\d+-[0-9a-f]{8}\.tmp$/);

  const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
  const oldTemp = await writeImage(root, '.tmp/old.part');
  const freshTemp = await writeImage(root, '.tmp/fresh.part');
  const oldPlace = await writeImage(root, 'c/i/.t@v.sif.sregistry-123-abcdef.tmp');
  const image = await writeImage(root, 'c/i/t@v.sif');
  const intent = await writeImage(root, '.tmp/journal/1-2-aa.json', '{}');
  const intentTemp = await writeImage(root, '.tmp/journal/.1-2-aa.json.9.ff.tmp', '{');
  for (const f of [oldTemp, oldPlace, image, intent, intentTemp]) await fs.utimes(f, old, old);

  assert.equal(await storage.cleanTemp(60 * 60 * 1000), 2, 'without a full sweep, only .tmp/ is looked at');
  assert.equal(await exists(oldPlace), true);
  assert.equal(await storage.cleanTemp(60 * 60 * 1000, { fullSweep: true }), 1);
  assert.equal(await exists(oldTemp), false);
  assert.equal(await exists(oldPlace), false);
  assert.equal(await exists(intentTemp), false);
  assert.equal(await exists(freshTemp), true);
  assert.equal(await exists(image), true);
  assert.equal(await exists(intent), true);
});

test('a transfer left by a dead process of this host is removed at once; a live one is kept', async (t) => {
  const root = await tempDir(t);
  const storage = createStorage(root);
  const mine = await storage.tempPath('live');
  // a pid that cannot be running: above the kernel's pid_max
  const dead = mine.replace(`-${process.pid}-`, '-4194305-');
  const alive = mine.replace(`-${process.pid}-`, `-${process.ppid}-`);
  for (const f of [mine, dead, alive]) await fs.writeFile(f, 'partial');
  assert.equal(await storage.cleanTemp(), 1);
  assert.equal(await exists(dead), false);
  assert.equal(await exists(alive), true);
  assert.equal(await exists(mine), true);
});

test('partial files a killed download left beside its destination are removed by the next download there', async (t) => {
  const dir = await tempDir(t);
  const dest = path.join(dir, 'tacos+v1.sif');
  const dead = 2 ** 22 + 1; // above Linux's pid_max: no such process
  const mine = tempBeside(dest, { pid: dead, token: 'ab12ab12' });
  const names = {
    deadPart: path.basename(mine),
    deadUnpacked: path.basename(tempBeside(dest, { pid: dead, token: 'cd34cd34' })),
    live: path.basename(tempBeside(dest, { pid: process.ppid, token: 'ef56ef56' })),
    otherHost: path.basename(mine).replace(HOST_TAG, HOST_TAG === '0000abcd' ? '1111abcd' : '0000abcd'),
    otherFile: path.basename(tempBeside(path.join(dir, 'other.sif'), { pid: dead, token: 'ab12ab12' })),
    lookalike: `${path.basename(mine)}.txt`,
    image: 'tacos+v1.sif',
  };
  for (const name of Object.values(names)) await fs.writeFile(path.join(dir, name), 'x');
  assert.match(names.deadPart, new RegExp(`^\\.tacos\\+v1\\.sif\\.sregistry-${HOST_TAG}-${dead}-ab12ab12\\.tmp$`));
  assert.equal(await removeStaleTempsBeside(dest), 2);
  assert.deepEqual(
    (await fs.readdir(dir)).sort(),
    [names.live, names.otherHost, names.otherFile, names.lookalike, names.image].sort(),
    'only the dead process’s temps of this destination go; live, other hosts, other files and the image stay',
  );
  assert.equal(await removeStaleTempsBeside(path.join(dir, 'missing-folder', 'x.sif')), 0);
});

test('a note in .tmp lets the cheap sweep remove a dead process’s temp beside an image, and nothing else', async (t) => {
  const root = await tempDir(t);
  const storage = createStorage(root);
  const dead = 2 ** 22 + 1;
  const image = await writeImage(root, 'c/i/t@v.sif');
  const leftover = tempBeside(image, { pid: dead, token: 'aa11aa11' });
  await fs.writeFile(leftover, 'half a copy');
  // a note names its temp by path; one naming a file that is not that process's temp (the image) is dropped alone
  await noteTemp(storage.tempDir, leftover);
  const forged = path.join(storage.tempDir, path.basename(tempBeside('@note', { pid: dead, token: 'bb22bb22' })));
  await fs.writeFile(forged, `${image}\n`);
  const live = tempBeside(image, { pid: process.ppid, token: 'cc33cc33' });
  await fs.writeFile(live, 'a copy in progress');
  await noteTemp(storage.tempDir, live);
  assert.equal(tempFolderNeedsSweep(storage.tempDir), true, 'the plain reader sees that a sweep is due');
  assert.equal(await storage.cleanTemp(), 1, 'no walk of the tree: the note led to the temp');
  assert.equal(await exists(leftover), false);
  assert.equal(await exists(image), true);
  assert.equal(await exists(live), true);
  assert.deepEqual((await fs.readdir(storage.tempDir)).length, 1, "only the live process's note is left");
  assert.equal(tempFolderNeedsSweep(storage.tempDir), false);
});

test('a copy to a place removes the temp copies a killed copy there left, once a day old', async (t) => {
  const dir = await tempDir(t);
  const source = await writeImage(dir, 'source.sif', 'image bytes\n');
  const dest = path.join(dir, 'elsewhere', 'image.sif');
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const old = path.join(path.dirname(dest), '.image.sif.sregistry-4194305-0a1b2c.tmp');
  const young = path.join(path.dirname(dest), '.image.sif.sregistry-4194306-0a1b2d.tmp');
  const otherDest = path.join(path.dirname(dest), '.other.sif.sregistry-4194305-0a1b2c.tmp');
  for (const f of [old, young, otherDest]) await fs.writeFile(f, 'half');
  const twoDaysAgo = new Date(Date.now() - 48 * 3600 * 1000);
  for (const f of [old, otherDest]) await fs.utimes(f, twoDaysAgo, twoDaysAgo);
  await placeFile(source, dest, { copy: true });
  assert.deepEqual(
    (await fs.readdir(path.dirname(dest))).sort(),
    [path.basename(young), path.basename(otherDest), 'image.sif'].sort(),
    'the stale temp of this destination goes; a young one (a copy may be running) and other destinations stay',
  );
});
