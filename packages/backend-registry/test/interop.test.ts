// What the real server does with names, versions and clocks, and what the backend makes of it: collections are
// normalised once for every request, `@version` is asked for and checked, `sha256.<hex>` versions are understood in
// every comparison, and a refused signature with a skewed server clock says so (registry-api.md §1.3, §1.4, §3).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { userError } from './helpers';
import { setup, writeImage } from './server-helpers';

const TACOS = Buffer.from('tacos image bytes\n');
const TACOS_MD5 = createHash('md5').update(TACOS).digest('hex');
const TACOS_SHA = createHash('sha256').update(TACOS).digest('hex');
const ONE_HOUR = 3600_000;

const infos = (s: { h: { lines: { level: string; message: string }[] } }) =>
  s.h.lines.filter((l) => l.level === 'info').map((l) => l.message);

test('pull, search and delete ask for the collection the server stores, and say once that it differs', async (t) => {
  const s = await setup(t, { server: { seed: [{ name: 'my-coll', containers: [{ name: 'hello', tag: 'v1', file: TACOS }] }] } });
  const remote = await s.h.backend.resolve!(s.h.parse('My_Coll/Hello:V1'));
  assert.equal(s.server.requests.at(-1)!.path, '/api/container/my-coll/hello:v1');
  assert.equal(remote.name.uri, 'my-coll/hello:v1', 'catalogued under the name the server has');
  assert.deepEqual(infos(s), ['the registry stores the collection "my_coll" as "my-coll"']);

  const one = await s.h.backend.search!('My_Coll/');
  assert.equal(s.server.requests.at(-1)!.path, '/api/collection/my-coll');
  assert.equal(one.heading, 'COLLECTION my-coll');
  assert.equal(one.rows.length, 1);
  await s.h.backend.search!('my_coll/hello:v1');
  assert.equal(s.server.requests.at(-1)!.path, '/api/container/search/collection/my-coll/name/hello/tag/v1');

  const deleted = await s.h.backend.delete!(s.h.parse('MY__coll/hello:v1'));
  assert.equal(deleted.uri, 'my-coll/hello:v1');
  assert.equal(s.server.requests.at(-1)!.path, '/api/container/my-coll/hello:v1');
  assert.equal(s.server.containers().length, 0, 'my-coll/hello is gone');
});

test('push reports the name and version the server has: normalised collection, provisional md5', async (t) => {
  const s = await setup(t);
  const image = writeImage(s.h.dir, 'img.sif', TACOS);
  const result = await s.h.backend.push!({ file: image.file, size: image.size, name: s.h.parse('Bob_Coll/tacos:v1') });
  assert.equal(result.uri, 'bob-coll/tacos:v1');
  assert.equal(result.version, TACOS_MD5);
  assert.equal(result.details?.provisional, true);
  assert.deepEqual(infos(s), [
    'the registry stores the collection "bob_coll" as "bob-coll"',
    `bob-coll/tacos:v1 is version ${TACOS_MD5} on the registry for now (provisional: it becomes sha256.${TACOS_SHA} once the registry has re-hashed the file)`,
  ]);
});

test('pull @version asks for it and refuses another version before downloading', async (t) => {
  const s = await setup(t);
  const wrong = 'd'.repeat(32);
  const error = await userError(() => s.h.backend.resolve!(s.h.parse(`vanessa/tacos:latest@${wrong}`)));
  assert.equal(s.server.requests.at(-1)!.path, `/api/container/vanessa/tacos:latest@${wrong}`);
  assert.equal(error.message, `the registry holds vanessa/tacos:latest at version ${TACOS_MD5}, not ${wrong}`);
  assert.equal(error.code, 'EVERSION');

  const right = await s.h.backend.resolve!(s.h.parse(`vanessa/tacos:latest@${TACOS_MD5}`));
  assert.equal(right.md5, TACOS_MD5);
  assert.equal(right.requestedVersion, TACOS_MD5);
  assert.equal(right.name.uri, 'vanessa/tacos:latest');
});

test('pull @<sha256> while the server still says md5: both digests are checked on the download', async (t) => {
  const s = await setup(t);
  const remote = await s.h.backend.resolve!(s.h.parse(`vanessa/tacos:latest@${TACOS_SHA}`));
  assert.equal(remote.md5, TACOS_MD5, "the server's md5");
  assert.equal(remote.sha256, TACOS_SHA, 'the requested sha256');
  assert.equal(remote.requestedVersion, TACOS_SHA);
});

test('a sha256.<hex> manifest is verified by that digest only; both spellings of the version are accepted', async (t) => {
  const s = await setup(t);
  await s.server.rehash();
  const plain = await s.h.backend.resolve!(s.h.parse('vanessa/tacos:latest'));
  assert.equal(plain.sha256, TACOS_SHA);
  assert.equal(plain.md5, undefined, 'no md5 pass');
  for (const v of [TACOS_SHA, `sha256.${TACOS_SHA}`]) {
    const remote = await s.h.backend.resolve!(s.h.parse(`vanessa/tacos:latest@${v}`));
    assert.equal(remote.sha256, TACOS_SHA);
    assert.equal(remote.md5, undefined);
  }
  const error = await userError(() => s.h.backend.resolve!(s.h.parse(`vanessa/tacos:latest@${'e'.repeat(64)}`)));
  assert.equal(error.code, 'EVERSION');
});

test("delete @version: the catalogue's bare sha256 is sent as the server writes it; another version deletes nothing", async (t) => {
  const s = await setup(t);
  await s.server.rehash();
  const error = await userError(() => s.h.backend.delete!(s.h.parse(`vanessa/tacos:latest@${'e'.repeat(64)}`)));
  assert.equal(error.code, 'EVERSION');
  assert.ok(!s.server.requests.some((r) => r.method === 'DELETE'), 'nothing was deleted');
  await s.h.backend.delete!(s.h.parse(`vanessa/tacos:latest@${TACOS_SHA}`));
  assert.equal(s.server.requests.at(-1)!.path, `/api/container/vanessa/tacos:latest@sha256.${TACOS_SHA}`);
  assert.equal(s.server.containers().filter((c) => c.name === 'tacos').length, 0);
});

test("a refused push with the server's clock hours away says so, like pull and delete", async (t) => {
  const s = await setup(t, { server: { faults: { clockOffsetMs: 2 * ONE_HOUR } } });
  const image = writeImage(s.h.dir, 'img.sif', TACOS);
  for (const run of [
    () => s.h.backend.push!({ file: image.file, size: image.size, name: s.h.parse('vanessa/tacos:v2') }),
    () => s.h.backend.delete!(s.h.parse('vanessa/tacos:latest')),
    () => s.h.backend.resolve!(s.h.parse('dinosaur/secret')),
  ]) {
    const error = await userError(run);
    assert.match(error.message, /its clock is 120 minutes ahead of this machine's/);
    assert.equal(error.code, 'ECLOCK');
  }
});

test('a refusal from a server whose clock agrees with ours is about the token, not the clock', async (t) => {
  const s = await setup(t, { secrets: { registry: { username: 'dinosaur', token: 'f'.repeat(40) } } });
  const image = writeImage(s.h.dir, 'img.sif', TACOS);
  const error = await userError(() => s.h.backend.push!({ file: image.file, size: image.size, name: s.h.parse('vanessa/tacos:v3') }));
  assert.equal(error.code, 'EPERM');
});

test('search of a collection that exists but holds nothing: its heading, no rows, found', async (t) => {
  const s = await setup(t, { server: { seed: [{ name: 'tagtest', containers: [] }] } });
  const empty = await s.h.backend.search!('tagtest');
  assert.equal(empty.heading, 'COLLECTION tagtest');
  assert.deepEqual(empty.rows, []);
  assert.equal(empty.exists, true);
  const missing = await s.h.backend.search!('nosuch/');
  assert.equal(missing.exists, undefined);
  assert.equal(missing.emptyMessage, 'No collections found.');
});
