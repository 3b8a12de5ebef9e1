// Several CLI processes on one catalogue at once: 4 pulls of the same image, 4 adds of the same file under
// one name, 4 adds under different names (with `images` reading meanwhile). Every process exits 0 and the
// catalogue ends with one row per identity, every file present, and nothing left over.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type RegistryServerHandle, sampleSif, startRegistryServer } from '@sregistry/testkit';
import { invariantProblems, layout, linkedPluginData, readRows, type Sandbox, sandbox, sha256, TOKEN, USER } from './reliability-helpers';

const SIZE = 2 * 1024 * 1024;
let server: RegistryServerHandle;
let plugins: { dir: string; cleanup(): void };
let sb: Sandbox;

before(async () => {
  server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    seed: [{ name: 'vanessa', owners: [USER], containers: [{ name: 'shared', tag: 'latest', file: SIZE }] }],
  });
  plugins = await linkedPluginData();
  sb = sandbox({ pluginData: plugins.dir, env: { SREGISTRY_CLIENT: 'registry', SREGISTRY_REGISTRY_BASE: server.url } });
});
after(async () => {
  sb.cleanup();
  plugins.cleanup();
  await server.close();
});

function assertConsistent(): void {
  assert.deepEqual(invariantProblems(sb), []);
  assert.deepEqual(layout(sb).temps, [], 'no temp file left by any of the processes');
}

test('4 parallel pulls of the same image: all succeed, one row, one whole file', async () => {
  const results = await Promise.all(Array.from({ length: 4 }, () => sb.run(['pull', 'vanessa/shared:latest'])));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const rows = readRows(sb.dbFile).filter((r) => r.uri?.startsWith('vanessa/shared:latest@'));
  assert.equal(rows.length, 1, JSON.stringify(rows));
  assert.equal(fs.statSync(rows[0]!.image!).size, SIZE);
  const news = results.filter((r) => r.stdout.includes('[container][new]')).length;
  assert.equal(news + results.filter((r) => r.stdout.includes('[container][update]')).length, 4);
  assert.ok(news >= 1, 'one of them created the row');
  assertConsistent();
});

test('4 parallel adds of one file under one name: all succeed, one row', async () => {
  const file = path.join(sb.home, 'one.sif');
  await sampleSif(file);
  const results = await Promise.all(Array.from({ length: 4 }, () => sb.run(['add', file, '--name', 'local/one:v1', '--copy'])));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const rows = readRows(sb.dbFile).filter((r) => r.uri === `local/one:v1@${sha256(file)}`);
  assert.equal(rows.length, 1, JSON.stringify(rows));
  assertConsistent();
});

test('4 parallel adds under different names, with images reading meanwhile: 4 rows, 4 files', async () => {
  const files = await Promise.all(
    [0, 1, 2, 3].map(async (i) => {
      const file = path.join(sb.home, `many-${i}.sif`);
      await sampleSif(file, { deffile: `Bootstrap: docker\nFrom: many-${i}\n` });
      return file;
    }),
  );
  const before = readRows(sb.dbFile).length;
  const results = await Promise.all([
    ...files.map((file, i) => sb.run(['add', file, '--name', `local/many-${i}:v1`])),
    sb.run(['images', '--json']),
    sb.run(['images', 'many']),
  ]);
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const rows = readRows(sb.dbFile);
  assert.equal(rows.length, before + 4);
  for (const file of files) assert.ok(!fs.existsSync(file), 'moved into storage');
  assertConsistent();
});
