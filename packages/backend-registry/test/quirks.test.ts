// Rare answers that are awkward to provoke from the fake server, intercepted with nock.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, afterEach, test } from 'node:test';
import { nockRegistry } from '@sregistry/testkit';
import nock from '../../testkit/node_modules/nock';
import { harness, userError } from './helpers';
import { writeImage } from './server-helpers';

const BASE = 'http://registry.test:8000';
const CREDS = { SREGISTRY_REGISTRY_BASE: BASE, SREGISTRY_REGISTRY_USERNAME: 'dinosaur', SREGISTRY_REGISTRY_TOKEN: 'testtoken123' };
const JSON_TYPE = { 'Content-Type': 'application/json' };

nock.disableNetConnect();
afterEach(() => nock.cleanAll());
after(() => nock.enableNetConnect());

function make(env: Record<string, string> = CREDS) {
  const h = harness(env);
  return h;
}

const manifest = (over: Record<string, unknown> = {}) => ({
  id: 1,
  name: 'tacos',
  image: `${BASE}/containers/1/download/0b5c3f1e-1111-2222-3333-444455556666`,
  tag: 'latest',
  add_date: '2026-11-26T23:30:03.471486-06:00',
  metrics: {},
  version: 'e5d376ca96081dd561ff303c3a631fd5',
  frozen: false,
  metadata: {},
  collection: 'vanessa',
  ...over,
});

test('pull: HTTP 200 with a bare 400 after signing', async () => {
  const h = make();
  const reg = nockRegistry(BASE);
  reg.scope.get('/api/container/vanessa/tacos:latest').reply(403, { detail: 'Authentication Required' });
  reg.bareNumber('/api/container/vanessa/tacos:latest', 400);
  const error = await userError(() => h.backend.resolve!(h.parse('vanessa/tacos')));
  assert.equal(error.message, 'the registry rejected the signature (400)');
  reg.done();
});

test('pull: a bare 429 without any signature', async () => {
  const h = make();
  const reg = nockRegistry(BASE).bareNumber('/api/container/vanessa/tacos:latest', 429);
  const error = await userError(() => h.backend.resolve!(h.parse('vanessa/tacos')));
  assert.equal(
    error.line,
    "the registry's download limit for this image is reached (429); try again later (the download counters are reset daily)",
  );
  reg.done();
});

test('pull: {} and 404 are not found', async () => {
  const h = make();
  const reg = nockRegistry(BASE)
    .manifest('vanessa', 'tacos', 'latest', {})
    .manifest('vanessa', 'tacos', 'v2', { detail: 'Not found.' }, 404);
  for (const uri of ['vanessa/tacos', 'vanessa/tacos:v2']) {
    const error = await userError(() => h.backend.resolve!(h.parse(uri)));
    assert.match(error.message, new RegExp(`was not found on ${BASE}$`));
  }
  reg.done();
});

test('pull: 500 and 502 are "the registry failed"', async () => {
  const h = make();
  const reg = nockRegistry(BASE);
  reg.html('/api/container/vanessa/tacos:latest', 500);
  // 502 is retried by the core for GETs: answer it on every attempt
  reg.scope.get('/api/container/vanessa/tacos:v2').times(3).reply(502, 'Bad Gateway');
  assert.equal((await userError(() => h.backend.resolve!(h.parse('vanessa/tacos')))).message, 'the registry failed (500)');
  assert.equal((await userError(() => h.backend.resolve!(h.parse('vanessa/tacos:v2')))).message, 'the registry failed (502)');
  reg.done();
});

test('pull: an HTML page with 200 is named as such', async () => {
  const h = make();
  const reg = nockRegistry(BASE).html('/api/container/vanessa/tacos:latest', 200);
  const error = await userError(() => h.backend.resolve!(h.parse('vanessa/tacos')));
  assert.equal(error.message, `${BASE}/api/container/vanessa/tacos:latest answered HTML, not JSON`);
  assert.match(error.fix ?? '', /SREGISTRY_REGISTRY_BASE/);
  reg.done();
});

test('pull: a manifest without `image` is a clear error; sha256 versions become the expected sha256', async () => {
  const h = make();
  const sha = 'a'.repeat(64);
  const reg = nockRegistry(BASE)
    .manifest('vanessa', 'tacos', 'latest', manifest({ image: null }))
    .manifest('vanessa', 'tacos', 'v2', manifest({ tag: 'v2', version: `sha256.${sha}` }));
  const error = await userError(() => h.backend.resolve!(h.parse('vanessa/tacos')));
  assert.match(error.message, /has no download URL \("image"\)/);
  const remote = await h.backend.resolve!(h.parse('vanessa/tacos:v2'));
  assert.equal(remote.sha256, sha);
  assert.equal(remote.md5, undefined);
  assert.equal(remote.name.uri, 'vanessa/tacos:v2');
  reg.done();
});

test("pull: the manifest's names are what the image is catalogued under", async () => {
  const h = make();
  const reg = nockRegistry(BASE).manifest('vanessa', 'tacos', 'latest', manifest({ collection: 'Vanessa', name: 'Tacos' }));
  const remote = await h.backend.resolve!(h.parse('vanessa/tacos'));
  assert.equal(remote.name.uri, 'vanessa/tacos:latest');
  assert.equal(remote.md5, 'e5d376ca96081dd561ff303c3a631fd5');
  reg.done();
});

test('search: a next link that was already read stops the walk (defect 3 fixed)', async () => {
  const h = make();
  const page = (next: string | null, name: string) => ({
    count: 9,
    next,
    previous: null,
    results: [{ id: 1, name, containers: [{ name: 'x', tag: 'latest', uri: `${name}/x:latest`, detail: `${BASE}/containers/1` }] }],
  });
  const reg = nockRegistry(BASE);
  reg.scope.get('/api/collections/').reply(200, page(`${BASE}/api/collections/?limit=1&offset=1`, 'a'), JSON_TYPE);
  // the second page points back at itself: the original looped forever
  reg.scope
    .get('/api/collections/')
    .query({ limit: '1', offset: '1' })
    .reply(200, page(`${BASE}/api/collections/?limit=1&offset=1`, 'b'), JSON_TYPE);
  const result = await h.backend.search!(undefined);
  assert.deepEqual(
    result.rows.map((r) => r[0]),
    ['a/x:latest', 'b/x:latest'],
  );
  reg.done();
});

test('search: a plain array from /api/collections/ is accepted too', async () => {
  const h = make();
  const reg = nockRegistry(BASE);
  reg.scope.get('/api/collections/').reply(200, [{ name: 'a', containers: [{ uri: 'a/x:latest', detail: 'd' }] }], JSON_TYPE);
  const result = await h.backend.search!(undefined);
  assert.deepEqual(result.rows, [['a/x:latest', 'd']]);
  reg.done();
});

test('search: a {containers: [...]} container search answer is accepted', async () => {
  const h = make();
  const reg = nockRegistry(BASE);
  reg.scope
    .get('/api/container/search/name/tacos')
    .reply(
      200,
      { containers: [{ collection: 'vanessa', name: 'tacos', tag: 'latest', add_date: '2026-11-26T23:30:03-06:00' }] },
      JSON_TYPE,
    );
  const result = await h.backend.search!('/tacos');
  assert.deepEqual(result.rows, [['vanessa/tacos', 'latest']]);
  reg.done();
});

test('push: HTTP 500 HTML at step 1 is a refusal', async () => {
  const h = make();
  const image = writeImage(h.dir, 'x.sif', 'bytes\n');
  const reg = nockRegistry(BASE).pushRefused();
  const error = await userError(() => h.backend.push!({ file: image.file, size: image.size, name: h.parse('vanessa/tacos') }));
  assert.equal(
    error.line,
    `the registry refused the push; check SREGISTRY_REGISTRY_USERNAME and SREGISTRY_REGISTRY_TOKEN (a new token is on the registry's token page; its JSON can go in ~/.sregistry); check that you own the collection and that pushing is enabled; check that your clock is right: signatures are valid for the current UTC hour only`,
  );
  reg.done();
});

test('push: 415 at step 1 points at the base setting', async () => {
  const h = make();
  const image = writeImage(h.dir, 'x.sif', 'bytes\n');
  const reg = nockRegistry(BASE);
  reg.scope
    .post('/api/upload/chunked_upload')
    .reply(415, '<html><body>415 Unsupported Media Type</body></html>', { 'Content-Type': 'text/html' });
  const error = await userError(() => h.backend.push!({ file: image.file, size: image.size, name: h.parse('vanessa/tacos') }));
  assert.match(error.message, /answered 415/);
  assert.match(error.fix ?? '', /SREGISTRY_REGISTRY_BASE/);
  reg.done();
});

for (const [label, status, body, expected] of [
  ['a 500 at step 2 is a refusal', 500, '<html>Server Error (500)</html>', /^the registry refused the push$/],
  [
    '"already exists." is a frozen tag',
    200,
    JSON.stringify({ message: 'library/tacos:latest@e5d376ca96081dd561ff303c3a631fd5 already exists.' }),
    /^vanessa\/tacos:latest is frozen on the registry$/,
  ],
  [
    'another message is passed on',
    200,
    JSON.stringify({ message: 'Something odd.' }),
    /^the registry did not store vanessa\/tacos:latest: Something odd\.$/,
  ],
  ['413 is too large', 413, '<html>413 Request Entity Too Large</html>', /too large \(413\)/],
  ['a redirect (cookie path) stores nothing', 302, '', /redirect \(302\)/],
] as const) {
  test(`push: ${label}`, async () => {
    const h = make();
    const image = writeImage(h.dir, 'x.sif', 'bytes\n');
    const reg = nockRegistry(BASE);
    reg.scope.post('/api/upload/chunked_upload', { collection: 'vanessa', name: 'tacos', tag: 'latest' }).reply(200, { cid: 7 }, JSON_TYPE);
    reg.scope
      .post('/upload')
      .reply(
        status,
        body,
        status === 302 ? { Location: '/collections' } : { 'Content-Type': body.startsWith('{') ? 'application/json' : 'text/html' },
      );
    const error = await userError(() => h.backend.push!({ file: image.file, size: image.size, name: h.parse('vanessa/tacos') }));
    assert.match(error.message, expected);
    reg.done();
  });
}

test('push: a server version that is not the local md5 is a UserError', async () => {
  const h = make();
  const image = writeImage(h.dir, 'x.sif', 'bytes\n');
  const reg = nockRegistry(BASE);
  reg.scope.post('/api/upload/chunked_upload').reply(200, { cid: 7 }, JSON_TYPE);
  reg.scope.post('/upload').reply(200, { message: 'Upload Complete' }, JSON_TYPE);
  reg.manifest('vanessa', 'tacos', 'latest', manifest({ version: 'f'.repeat(32) }));
  const error = await userError(() => h.backend.push!({ file: image.file, size: image.size, name: h.parse('vanessa/tacos') }));
  assert.match(error.message, /holds another file for vanessa\/tacos:latest/);
  assert.match(error.message, new RegExp(image.md5));
  reg.done();
});

test("push: the server's sha256 version is compared with the local sha256", async () => {
  const h = make();
  const image = writeImage(h.dir, 'x.sif', 'bytes\n');
  const sha = createHash('sha256').update('bytes\n').digest('hex');
  const reg = nockRegistry(BASE);
  reg.scope.post('/api/upload/chunked_upload').reply(200, { cid: 7 }, JSON_TYPE);
  reg.scope.post('/upload').reply(200, { message: 'Upload Complete' }, JSON_TYPE);
  reg.manifest('vanessa', 'tacos', 'latest', manifest({ version: `sha256.${sha}` }));
  const result = await h.backend.push!({ file: image.file, size: image.size, name: h.parse('vanessa/tacos') });
  assert.equal(result.version, `sha256.${sha}`);
  assert.equal(result.details?.cid, 7);
  assert.equal(result.details?.provisional, false, 'the sha256 form is what the server keeps');
  assert.ok(h.lines.some((l) => l.level === 'info' && l.message === `vanessa/tacos:latest is version sha256.${sha} on the registry`));
  reg.done();
});

test('push: when the read-back fails for another reason the push still succeeds, with a warning', async () => {
  const h = make();
  const image = writeImage(h.dir, 'x.sif', 'bytes\n');
  const reg = nockRegistry(BASE);
  reg.scope.post('/api/upload/chunked_upload').reply(200, { cid: 7 }, JSON_TYPE);
  reg.scope.post('/upload').reply(200, { message: 'Upload Complete' }, JSON_TYPE);
  reg.html('/api/container/vanessa/tacos:latest', 500);
  const result = await h.backend.push!({ file: image.file, size: image.size, name: h.parse('vanessa/tacos') });
  assert.equal(result.message, 'Upload Complete');
  assert.equal(result.version, undefined);
  assert.ok(h.lines.some((l) => l.level === 'warn' && /could not be confirmed/.test(l.message)));
  reg.done();
});

test('a 401 from any operation names the credentials (client-spec §6.3: they are expired), with the same fix', async () => {
  const h = make();
  const reg = nockRegistry(BASE);
  const expired = { detail: 'Token expired' };
  reg.scope.get('/api/collections/').reply(401, expired, JSON_TYPE);
  reg.scope.get('/api/collection/vanessa').reply(401, expired, JSON_TYPE);
  reg.scope.get('/api/container/search/collection/vanessa/name/tacos').reply(401, expired, JSON_TYPE);
  reg.scope.get('/api/labels/search').reply(401, expired, JSON_TYPE);
  reg.scope.get('/api/container/vanessa/tacos:latest').twice().reply(401, expired, JSON_TYPE);
  reg.scope.delete('/api/container/vanessa/tacos:latest').reply(401, expired, JSON_TYPE);
  const ops: [string, () => Promise<unknown>][] = [
    ['the registry refused http://registry.test:8000/api/collections/', () => h.backend.search!(undefined)],
    ['the registry refused http://registry.test:8000/api/collection/vanessa', () => h.backend.search!('vanessa/')],
    [
      'the registry refused http://registry.test:8000/api/container/search/collection/vanessa/name/tacos',
      () => h.backend.search!('vanessa/tacos'),
    ],
    ['the registry refused http://registry.test:8000/api/labels/search', () => h.backend.labels!({})],
    ['you have no access to vanessa/tacos:latest', () => h.backend.resolve!(h.parse('vanessa/tacos'))],
    ['the registry refused to delete vanessa/tacos:latest', () => h.backend.delete!(h.parse('vanessa/tacos'))],
  ];
  for (const [what, op] of ops) {
    const error = await userError(op);
    assert.equal(error.message, `Unauthorized (401, "Token expired"): ${what}`);
    assert.match(
      error.fix ?? '',
      /^your token may have expired: check SREGISTRY_REGISTRY_USERNAME and SREGISTRY_REGISTRY_TOKEN \(a new token is on the registry's token page; its JSON can go in ~\/\.sregistry\)/,
    );
    assert.doesNotMatch(error.fix ?? '', /check the name/);
    assert.equal(error.code, 'EPERM');
  }
  reg.done();
});

test('delete: a frozen 403 and an unauthorized 403 are told apart', async () => {
  const h = make();
  const reg = nockRegistry(BASE);
  reg.scope
    .delete('/api/container/vanessa/tacos:latest')
    .reply(403, { detail: 'vanessa/tacos:latest is frozen, delete not allowed.' }, JSON_TYPE);
  reg.scope.delete('/api/container/vanessa/tacos:v2').reply(403, { detail: 'Unauthorized' }, JSON_TYPE);
  assert.match((await userError(() => h.backend.delete!(h.parse('vanessa/tacos')))).message, /is frozen/);
  assert.match((await userError(() => h.backend.delete!(h.parse('vanessa/tacos:v2')))).message, /^Unauthorized \(403\)/);
  reg.done();
});
