import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { type Catalog, openCatalog } from '../src/catalog/index';
import { MATCH_INDEX, MATCH_SQL, matchParameters } from '../src/catalog/match';
import { type CatalogReader, openCatalogReader } from '../src/catalog/reader';
import { sweepMarkerFor } from '../src/catalog/sweep-marker';
import { parseImageName } from '../src/uri/parse';
import { RawDatabase, tempDir, writeImage } from './catalog-helpers';

const NAMES = ['vsoch/hello-world:v1', 'library/ubuntu:18.04', 'Tacos/Salsa:latest', 'vanessa/ub_x:dev', 'vsoch/hello-world:v1'];

async function populated(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t);
  const paths = { databaseFile: path.join(dir, 'sregistry.db'), storageDir: path.join(dir, 'shub') };
  const catalog: Catalog = await openCatalog(paths);
  t.after(() => catalog.close());
  for (const [i, n] of NAMES.entries()) {
    const file = await writeImage(dir, `f${i}.sif`, `content ${i}\n`);
    await catalog.add({ file, name: parseImageName(n), client: i % 2 ? 'registry' : 'hub', metrics: { i } });
  }
  return { dir, paths, catalog };
}

function reader(t: { after(fn: () => void): void }, paths: { databaseFile: string; storageDir: string }): CatalogReader {
  const r = openCatalogReader(paths);
  assert.ok(r, 'a catalogue that needs no upkeep opens with the plain reader');
  t.after(() => r.close());
  return r;
}

test('the plain reader lists and finds exactly what the full catalogue does', async (t) => {
  const { paths, catalog } = await populated(t);
  const plain = reader(t, paths);
  for (const term of [undefined, '', '*', 'UBUNTU', '18.04', 'vsoch/', 'ub', 'b_', '%', 'hello-world', 'nomatch', "o'clock"]) {
    assert.deepEqual([...(await plain.list(term))], await catalog.list(term), `list(${JSON.stringify(term)})`);
  }
  const v2 = (await catalog.list()).at(-1)?.version;
  for (const query of [
    'vsoch/hello-world:v1',
    `vsoch/hello-world:v1@${v2}`,
    'vsoch/hello-world',
    'tacos/salsa',
    'other/n:t',
    'c/n:t@nothere',
  ]) {
    assert.deepEqual(await plain.find(parseImageName(query)), await catalog.find(parseImageName(query)), `find(${query})`);
  }
  const [first] = await plain.list(undefined, { metrics: false });
  assert.deepEqual(first.metrics, {}, 'metrics: false skips the metrics text');
  assert.equal((await catalog.list())[0].metrics.i, 0);
});

test('the plain reader streams rows instead of building an array', async (t) => {
  const { paths } = await populated(t);
  const rows = await reader(t, paths).list();
  assert.ok(!Array.isArray(rows));
  const iterator = rows[Symbol.iterator]();
  assert.equal(iterator.next().value?.collection, 'vsoch');
});

test('the plain reader declines a catalogue that needs upkeep, so the full catalogue handles it', async (t) => {
  const { dir, paths, catalog } = await populated(t);
  await catalog.close();
  const missing = { databaseFile: path.join(dir, 'none', 'sregistry.db'), storageDir: paths.storageDir };
  assert.equal(openCatalogReader(missing), undefined, 'no database file yet: opening creates it');
  assert.ok(!fs.existsSync(missing.databaseFile), 'and the reader creates nothing');

  const journal = path.join(paths.storageDir, '.tmp', 'journal');
  fs.mkdirSync(journal, { recursive: true });
  fs.writeFileSync(path.join(journal, '1-99999-abcd.json'), '{}');
  assert.equal(openCatalogReader(paths), undefined, 'an intent waits for recovery');
  fs.rmSync(path.join(journal, '1-99999-abcd.json'));
  assert.ok(openCatalogReader(paths), 'an empty journal folder is fine')?.close();

  const marker = sweepMarkerFor(paths.storageDir);
  const old = new Date(Date.now() - 25 * 3600 * 1000);
  fs.utimesSync(marker, old, old);
  assert.equal(openCatalogReader(paths), undefined, 'the daily temp-file sweep is due');
  fs.rmSync(marker);
  assert.equal(openCatalogReader(paths), undefined, 'no sweep marker: never swept');
  fs.writeFileSync(marker, 'now\n');

  const raw = new RawDatabase(paths.databaseFile);
  raw.exec('DROP TABLE container');
  raw.close();
  assert.equal(openCatalogReader(paths), undefined, 'a table is missing: opening creates it');

  fs.writeFileSync(paths.databaseFile, 'not a database, but long enough to have a header that is not SQLite.........');
  assert.equal(openCatalogReader(paths), undefined, 'an unreadable file is left to the full catalogue and its error');
});

test('images <term> is answered from the covering index of a catalogue sregistry created', async (t) => {
  const { paths } = await populated(t);
  const raw = new RawDatabase(paths.databaseFile);
  t.after(() => raw.close());
  const index = raw.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?").get(MATCH_INDEX);
  assert.match(String(index?.sql), /ON "container" \("name", "tag", "uri"\)/);
  const plan = raw
    .prepare(`EXPLAIN QUERY PLAN SELECT c.id FROM container c WHERE ${MATCH_SQL} ORDER BY c.id`)
    .all(matchParameters('ubuntu'))
    .map((r) => String(r.detail));
  assert.ok(
    plan.some((d) => d.includes(`USING COVERING INDEX ${MATCH_INDEX}`)),
    plan.join('; '),
  );
  assert.ok(!plan.some((d) => /^SCAN c$/.test(d)), `no scan of the table rows: ${plan.join('; ')}`);
});

test("the daily sweep's marker lives in storage's hidden folder, and one left beside the database goes", async (t) => {
  const dir = await tempDir(t);
  const paths = { databaseFile: path.join(dir, 'db', 'sregistry.db'), storageDir: path.join(dir, 'shub') };
  fs.mkdirSync(path.dirname(paths.databaseFile));
  fs.writeFileSync(`${paths.databaseFile}-sweep`, 'left by an earlier version\n');
  const catalog = await openCatalog(paths);
  await catalog.add({ file: await writeImage(dir, 'a.sif'), name: parseImageName('vsoch/a'), client: 'hub' });
  await catalog.close();
  assert.deepEqual(fs.readdirSync(path.dirname(paths.databaseFile)), ['sregistry.db'], 'nothing but the database in its folder');
  assert.equal(sweepMarkerFor(paths.storageDir), path.join(paths.storageDir, '.tmp', 'last-sweep'));
  assert.ok(fs.existsSync(sweepMarkerFor(paths.storageDir)));
  const plain = openCatalogReader(paths);
  assert.ok(plain, 'and the plain reader finds the sweep done');
  plain.close();
});
