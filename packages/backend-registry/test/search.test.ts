import assert from 'node:assert/strict';
import { test } from 'node:test';
import { userError } from './helpers';
import { setup, USER } from './server-helpers';

const bytes = (s: string) => Buffer.from(`${s}\n`);

test('search with no query follows every page of /api/collections/', async (t) => {
  const seed = Array.from({ length: 5 }, (_, i) => ({
    name: `coll${i}`,
    owners: [USER],
    containers: [{ name: `img${i}`, tag: 'latest', file: bytes(`c${i}`) }],
  }));
  const s = await setup(t, { server: { pageSize: 2, seed } });
  for (const query of [undefined, '*', '']) {
    const result = await s.h.backend.search!(query);
    assert.equal(result.heading, 'Collections');
    assert.deepEqual(
      result.rows.map((r) => r[0]),
      ['coll0/img0:latest', 'coll1/img1:latest', 'coll2/img2:latest', 'coll3/img3:latest', 'coll4/img4:latest'],
    );
    assert.match(result.rows[0]![1]!, /^http:\/\/127\.0\.0\.1:\d+\/containers\/\d+$/);
    assert.equal(result.items.length, 5);
  }
  // three pages per search
  assert.equal(s.server.requests.filter((r) => r.path === '/api/collections/').length, 9);
});

test('an empty registry has no rows and the original empty message', async (t) => {
  const s = await setup(t, { server: { seed: [] } });
  const result = await s.h.backend.search!(undefined);
  assert.deepEqual(result.rows, []);
  assert.equal(result.emptyMessage, `No container collections found: ${s.server.url} has no public collections yet`);
  assert.equal(result.emptyFix, 'push one: sregistry push <file> --name collection/name:tag (private collections are not listed)');
});

test('search coll/ and a bare word look up one collection; {} means not found', async (t) => {
  const s = await setup(t);
  for (const query of ['vanessa/', 'Vanessa']) {
    const result = await s.h.backend.search!(query);
    assert.equal(result.heading, 'COLLECTION vanessa');
    assert.equal(result.rows.length, 1);
    assert.equal(result.rows[0]![0], 'vanessa/tacos:latest');
  }
  assert.ok(s.server.requests.some((r) => r.path === '/api/collection/vanessa'));
  const missing = await s.h.backend.search!('nothere');
  assert.deepEqual(missing.rows, []);
  assert.equal(missing.emptyMessage, 'No collections found.');
});

test('a private collection (the server answers 500) gets a hint instead of "Beep boop"', async (t) => {
  const s = await setup(t);
  const error = await userError(() => s.h.backend.search!('dinosaur/'));
  assert.match(error.message, /failed \(500\)/);
  assert.match(error.fix ?? '', /private/);
});

test('container searches: coll/name, coll/name:tag, /name, /name:tag (defect 1 fixed)', async (t) => {
  const s = await setup(t);
  const cases: [string, string][] = [
    ['vanessa/tacos', '/api/container/search/collection/vanessa/name/tacos'],
    ['vanessa/tacos:latest', '/api/container/search/collection/vanessa/name/tacos/tag/latest'],
    ['/tacos', '/api/container/search/name/tacos'],
    ['/tacos:latest', '/api/container/search/name/tacos/tag/latest'],
  ];
  for (const [query, pathname] of cases) {
    const result = await s.h.backend.search!(query);
    assert.equal(result.heading, `Containers ${query}`);
    assert.equal(result.emptyMessage, 'No containers found.');
    assert.equal(result.rows.length, 1, query);
    // the original's two columns, which scripts read (client-spec §6.6)
    assert.deepEqual(result.rows[0], ['vanessa/tacos', 'latest']);
    assert.equal((result.items[0] as { name: string }).name, 'tacos');
    assert.equal(s.server.requests.at(-1)!.path, pathname);
  }
  const none = await s.h.backend.search!('vanessa/tacos:nope');
  assert.deepEqual(none.rows, []);
});

test('labels: all, by key, by value, by both; rows as the original printed them', async (t) => {
  const labels = [
    { key: 'maintainer', value: 'vanessa', containers: ['vanessa/tacos:latest', 'vanessa/burrito:latest'] },
    { key: 'arch', value: 'amd64', containers: ['vanessa/tacos:latest'] },
  ];
  const s = await setup(t, { server: { labels } });
  const all = await s.h.backend.labels!({});
  assert.equal(all.heading, 'Labels');
  assert.deepEqual(all.rows, [
    ['N=2', 'maintainer:vanessa'],
    ['N=1', 'arch:amd64'],
  ]);
  const byKey = await s.h.backend.labels!({ key: 'maintainer' });
  assert.deepEqual(byKey.rows, [['maintainer:vanessa', '\nvanessa/tacos:latest\nvanessa/burrito:latest\n\n']]);
  assert.equal(s.server.requests.at(-1)!.path, '/api/labels/search/maintainer/key');
  await s.h.backend.labels!({ value: 'amd64' });
  assert.equal(s.server.requests.at(-1)!.path, '/api/labels/search/amd64/value');
  const both = await s.h.backend.labels!({ key: 'arch', value: 'amd64' });
  assert.equal(s.server.requests.at(-1)!.path, '/api/labels/search/arch/key/amd64/value');
  assert.equal(both.rows.length, 1);
  const none = await s.h.backend.labels!({ key: 'nope' });
  assert.deepEqual(none.rows, []);
  assert.equal(none.emptyMessage, 'No labels found.');
});

test('label keys and values are sent as typed: the server matches them exactly, case included', async (t) => {
  const labels = [{ key: 'Author', value: 'Vanessa', containers: ['vanessa/tacos:latest'] }];
  const s = await setup(t, { server: { labels } });
  assert.deepEqual((await s.h.backend.labels!({})).rows, [['N=1', 'Author:Vanessa']]);
  const byKey = await s.h.backend.labels!({ key: 'Author' });
  assert.equal(s.server.requests.at(-1)!.path, '/api/labels/search/Author/key');
  assert.deepEqual(byKey.rows, [['Author:Vanessa', '\nvanessa/tacos:latest\n\n']]);
  const both = await s.h.backend.labels!({ key: 'Author', value: 'Vanessa' });
  assert.equal(both.rows.length, 1);
  assert.deepEqual((await s.h.backend.labels!({ key: 'author' })).rows, [], 'another case is another key');
});
