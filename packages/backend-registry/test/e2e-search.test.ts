// `sregistry search` and `labels` through the real CLI against a registry with 28 collections served 10 per page:
// every query form of client-spec §6.6 with the original's output shapes, all pages read (the original looped
// forever on the second), --json and --quiet.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RegistryServerHandle, SeedCollection } from '@sregistry/testkit';
import { announceLine, assertOneLineError, defaultSeed, type E2eHome, startE2eRegistry, useE2eRegistry } from './e2e-helpers';

const EXTRA = 25;
let server: RegistryServerHandle;
let e: E2eHome;

/** coll00 … coll24, one image each, after the default vanessa/dinosaur collections. */
function manyCollections(): SeedCollection[] {
  return Array.from({ length: EXTRA }, (_, i) => {
    const name = `coll${String(i).padStart(2, '0')}`;
    return { name, containers: [{ name: `image${i}`, tag: `v${i}`, file: Buffer.from(`${name} bytes\n`) }] };
  });
}

useE2eRegistry(
  (started, home) => {
    server = started;
    e = home;
  },
  {
    pageSize: 10,
    seed: [...(defaultSeed() ?? []), ...manyCollections()],
    labels: [
      { key: 'maintainer', value: 'vanessa', containers: ['vanessa/tacos:latest', 'vanessa/tacolicious:gobacktosleep'] },
      { key: 'flavour', value: 'salsa', containers: ['vanessa/tacos:latest'] },
    ],
  },
);

/** Table rows as the original prints them: number left-justified to 2, a space, cells joined by TAB. */
function rows(stdout: string, heading: string): string[][] {
  const lines = stdout.trimEnd().split('\n');
  const at = lines.indexOf(heading);
  assert.ok(at >= 0, `heading ${heading} in:\n${stdout}`);
  const out: string[][] = [];
  for (const line of lines.slice(at + 1)) {
    const m = /^(\d+) {1,2}(.*)$/.exec(line);
    if (!m || Number(m[1]) !== out.length + 1) break;
    assert.ok(line.startsWith(`${String(out.length + 1).padEnd(2)} `), `numbered like the original: ${line}`);
    out.push(m[2].split('\t'));
  }
  return out;
}

test('search without a query lists every container of every collection, reading all pages', async () => {
  const mark = server.requests.length;
  const r = await e.run(['search']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.split('\n')[0], announceLine(e));
  assert.equal(r.stdout.split('\n')[1], 'Collections');
  const table = rows(r.stdout, 'Collections');
  // dinosaur is private, so the public list has vanessa's two images plus one per extra collection
  assert.equal(table.length, 2 + EXTRA);
  assert.deepEqual(table[0], ['vanessa/tacos:latest', `${server.url}/containers/1`]);
  assert.deepEqual(table.at(-1), [`coll${EXTRA - 1}/image${EXTRA - 1}:v${EXTRA - 1}`, table.at(-1)![1]]);
  const pages = server.requests.slice(mark).filter((q) => q.path === '/api/collections/');
  assert.equal(pages.length, 3, '27 collections at 10 a page');
  assert.deepEqual(
    pages.map((q) => q.query.offset),
    [undefined, '10', '20'],
  );
});

test('collection forms: vanessa/ and vanessa print COLLECTION and the collection’s images', async () => {
  for (const query of ['vanessa/', 'vanessa']) {
    const r = await e.run(['search', query]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(rows(r.stdout, 'COLLECTION vanessa'), [
      ['vanessa/tacos:latest', `${server.url}/containers/1`],
      ['vanessa/tacolicious:gobacktosleep', `${server.url}/containers/3`],
    ]);
  }
});

test('container forms: collection/name:tag, collection/name, /name, registry:// and several terms at once', async () => {
  const tagged = await e.run(['search', 'vanessa/tacos:latest']);
  assert.equal(tagged.code, 0, tagged.stderr);
  const row = rows(tagged.stdout, 'Containers vanessa/tacos:latest');
  assert.equal(row.length, 1);
  assert.deepEqual(row[0].slice(0, 2), ['vanessa/tacos', 'latest']);

  const untagged = await e.run(['search', 'coll03/image3']);
  assert.equal(untagged.code, 0, untagged.stderr);
  assert.deepEqual(rows(untagged.stdout, 'Containers coll03/image3')[0].slice(0, 2), ['coll03/image3', 'v3']);

  const byName = await e.run(['search', '/tacolicious']);
  assert.equal(byName.code, 0, byName.stderr);
  assert.deepEqual(rows(byName.stdout, 'Containers /tacolicious')[0].slice(0, 2), ['vanessa/tacolicious', 'gobacktosleep']);

  const both = await e.run(['search', 'registry://coll07/', 'coll08/image8:v8']);
  assert.equal(both.code, 0, both.stderr);
  assert.equal(both.stdout.split('\n').filter((l) => l.startsWith('[client|')).length, 1, 'announced once');
  assert.deepEqual(rows(both.stdout, 'COLLECTION coll07')[0][0], 'coll07/image7:v7');
  assert.deepEqual(rows(both.stdout, 'Containers coll08/image8:v8')[0].slice(0, 2), ['coll08/image8', 'v8']);
});

test('nothing found: the original’s message, one line, exit 1', async () => {
  assertOneLineError(
    await e.run(['search', 'vanessa/nachos:latest']),
    /^ERROR No containers found; check the spelling, or search for less/,
  );
  assertOneLineError(await e.run(['search', 'nosuchcollection/']), /^ERROR No collections found; /);
  const empty = await startE2eRegistry({ seed: [] });
  try {
    // an empty query has nothing to misspell: the registry is empty, and the fix is to push
    const none = await e.run(['search'], { env: { SREGISTRY_REGISTRY_BASE: empty.url } });
    assertOneLineError(
      none,
      /^ERROR No container collections found: http:\/\/127\.0\.0\.1:\d+ has no public collections yet; push one: sregistry push <file> --name collection\/name:tag/,
    );
    assert.doesNotMatch(none.stderr, /spelling/);
  } finally {
    await empty.close();
  }
});

test('--json: one document with every collection and container uri; --quiet: no announce line', async () => {
  const json = await e.run(['search', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const [all] = JSON.parse(json.stdout);
  assert.equal(all.heading, 'Collections');
  assert.equal(all.items.length, 2 + EXTRA - 1, 'collections: vanessa plus the extra ones');
  const uris = all.items.flatMap((c: { containers: { uri: string }[] }) => c.containers.map((x) => x.uri));
  assert.ok(uris.includes('vanessa/tacos:latest'));
  assert.ok(uris.includes(`coll${EXTRA - 1}/image${EXTRA - 1}:v${EXTRA - 1}`));

  const one = JSON.parse((await e.run(['search', '--json', 'vanessa/tacos:latest'])).stdout);
  assert.equal(one[0].items[0].collection, 'vanessa');
  assert.equal(one[0].items[0].name, 'tacos');

  const quiet = await e.run(['search', '--quiet', 'vanessa/']);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.match(quiet.stdout, /^COLLECTION vanessa\n1 {2}vanessa\/tacos:latest\t/);
});

test('labels: counts without a filter, containers with -k/-v, "No labels found." (exit 0) when none match', async () => {
  const all = await e.run(['labels']);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /^Labels\n/, 'no announce line first: the original printed none for labels');
  assert.deepEqual(rows(all.stdout, 'Labels'), [
    ['N=2', 'maintainer:vanessa'],
    ['N=1', 'flavour:salsa'],
  ]);

  const byKey = await e.run(['labels', '-k', 'maintainer']);
  assert.equal(byKey.code, 0, byKey.stderr);
  assert.match(byKey.stdout, /Labels\n1 {2}maintainer:vanessa\t\nvanessa\/tacos:latest\nvanessa\/tacolicious:gobacktosleep\n/);

  const both = await e.run(['labels', '--key', 'flavour', '--value', 'salsa', '--json']);
  assert.equal(both.code, 0, both.stderr);
  // the heading, the table and the items; not how the CLI prints an empty answer
  const doc = JSON.parse(both.stdout);
  assert.deepEqual(Object.keys(doc).sort(), ['heading', 'items', 'rows']);
  assert.equal(doc.heading, 'Labels');
  assert.deepEqual(doc.items, [{ key: 'flavour', value: 'salsa', containers: ['vanessa/tacos:latest'] }]);

  const none = await e.run(['labels', '-v', 'guacamole']);
  assert.equal(none.code, 0, none.stderr);
  assert.match(none.stdout, /No labels found\.\n$/);
});

test('a host:port first segment names the registry, as in pull and push: collection, containers and everything there', async () => {
  const host = new URL(server.url).host;
  // the configured base points elsewhere: only the host in the query can reach this server
  const env = { SREGISTRY_REGISTRY_BASE: 'http://127.0.0.1:9', SREGISTRY_REGISTRY_NOHTTPS: '1' };
  const collection = await e.run(['search', `registry://${host}/vanessa/`], { env });
  assert.equal(collection.code, 0, collection.stderr);
  assert.match(collection.stdout, /COLLECTION vanessa\n1 {2}vanessa\/tacos:latest\t/);
  assert.doesNotMatch(collection.stdout + collection.stderr, /stores the collection/);
  const containers = await e.run(['search', `${host}/vanessa/tacos:latest`], { env });
  assert.equal(containers.code, 0, containers.stderr);
  assert.match(containers.stdout, /vanessa\/tacos\tlatest/);
  const all = await e.run(['search', `registry://${host}/`], { env });
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /^Collections$/m);
  assert.match(all.stdout, /coll00\/image0:v0/);
});
