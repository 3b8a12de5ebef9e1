import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRegistryBackend } from '../src/backend';
import { core, userError } from './helpers';
import { assertNothingSecret, setup, USER, writeImage } from './server-helpers';

const ONE_HOUR = 3600_000;

test('push: two signed steps, the file as file1, and the server md5 confirmed', async (t) => {
  const s = await setup(t);
  const image = writeImage(s.h.dir, 'tacos.sif', Buffer.alloc(300_000, 7));
  const progress: number[] = [];
  const name = s.h.parse('vanessa/tacos', { tag: 'v2' });
  const result = await s.h.backend.push!({ file: image.file, size: image.size, name, onProgress: (sent) => progress.push(sent) });
  assert.equal(result.message, 'Upload Complete');
  assert.equal(result.version, image.md5);
  assert.equal(result.url, `${s.server.url}/api/container/vanessa/tacos:v2`);
  assert.deepEqual(result.details, {
    cid: 1,
    step1Status: 200,
    step2Status: 200,
    collection: 'vanessa',
    md5: image.md5,
    provisional: true,
  });

  const [step1, step2] = s.server.requests.filter((r) => r.method === 'POST');
  assert.equal(step1!.path, '/api/upload/chunked_upload');
  assert.deepEqual(step1!.body, { collection: 'vanessa', name: 'tacos', tag: 'v2' });
  assert.match(String(step1!.headers.authorization), /^SREGISTRY-HMAC-SHA256 Credential=push\//);
  assert.equal(step2!.path, '/upload');
  assert.match(String(step2!.headers.authorization), /^SREGISTRY-HMAC-SHA256 Credential=upload\//);
  const body = step2!.body as Record<string, unknown>;
  assert.equal(body.SREGISTRY_EVENT, step2!.headers.authorization);
  assert.equal(body.collection, '1');
  assert.equal(body.name, 'tacos');
  assert.equal(body.tag, 'v2');
  assert.equal(body['file1.name'], 'tacos:v2.sif');
  assert.equal(body['file1.md5'], image.md5);
  for (const r of [step1!, step2!]) assert.equal(r.headers.cookie, undefined, 'never a cookie');
  assert.ok(progress.length > 0 && progress.at(-1)! >= image.size, 'progress reaches the end');
  assert.ok(
    s.server.containers().some((c) => c.collection === 'vanessa' && c.name === 'tacos' && c.tag === 'v2' && c.version === image.md5),
  );
  assertNothingSecret(s);

  // and it pulls back
  const remote = await s.h.backend.resolve!(name);
  assert.equal(remote.md5, image.md5);
});

test('push signs the normalised collection name the server keeps', async (t) => {
  const s = await setup(t);
  const image = writeImage(s.h.dir, 'x.sif', 'bytes\n');
  const name = s.h.parse('Bob__Coll_X/thing:1.0');
  const result = await s.h.backend.push!({ file: image.file, size: image.size, name });
  assert.equal(result.version, image.md5);
  assert.equal((s.server.requests.find((r) => r.method === 'POST')!.body as { collection: string }).collection, 'bob-coll-x');
  assert.ok(s.server.containers().some((c) => c.collection === 'bob-coll-x' && c.name === 'thing' && c.tag === '1.0'));
});

test('a collection with a dot and an underscore is a collection, not a host (registry-api.md §1.3)', async (t) => {
  const s = await setup(t);
  const image = writeImage(s.h.dir, 'x.sif', 'bytes\n');
  const name = s.h.parse('Mine_Coll.X/Name:Tag');
  const result = await s.h.backend.push!({ file: image.file, size: image.size, name });
  assert.equal(result.uri, 'mine-coll-x/name:tag');
  assert.ok(s.server.containers().some((c) => c.collection === 'mine-coll-x' && c.name === 'name' && c.tag === 'tag'));
  assert.ok(s.h.lines.some((l) => l.message === 'the registry stores the collection "mine_coll.x" as "mine-coll-x"'));
});

test('push with a registry host in the name goes to <host>/api/upload/chunked_upload (issue #195 fixed)', async (t) => {
  const s = await setup(t, { env: { SREGISTRY_REGISTRY_BASE: undefined, SREGISTRY_REGISTRY_NOHTTPS: '1' } });
  const image = writeImage(s.h.dir, 'x.sif', 'bytes\n');
  const host = new URL(s.server.url).host;
  const result = await s.h.backend.push!({ file: image.file, size: image.size, name: s.h.parse(`${host}/vanessa/burrito`) });
  assert.equal(result.message, 'Upload Complete');
  assert.deepEqual(
    s.server.requests.filter((r) => r.method === 'POST').map((r) => r.path),
    ['/api/upload/chunked_upload', '/upload'],
  );
});

test('a wrong token: the 500 from step 1 is "the registry refused the push"', async (t) => {
  const s = await setup(t, { env: { SREGISTRY_REGISTRY_TOKEN: 'b'.repeat(40) } });
  const image = writeImage(s.h.dir, 'x.sif', 'bytes\n');
  const error = await userError(() => s.h.backend.push!({ file: image.file, size: image.size, name: s.h.parse('vanessa/tacos') }));
  assert.equal(error.message, 'the registry refused the push');
  assert.equal(
    error.fix,
    "check SREGISTRY_REGISTRY_USERNAME and SREGISTRY_REGISTRY_TOKEN (a new token is on the registry's token page; its JSON can go in ~/.sregistry); check that you own the collection and that pushing is enabled; check that your clock is right: signatures are valid for the current UTC hour only",
  );
  assert.equal(s.server.requests.filter((r) => r.path === '/upload').length, 0, 'no upload after a refused step 1');
  assertNothingSecret(s, error.message, error.fix);
});

test('pushing disabled on the server is reported the same way', async (t) => {
  const s = await setup(t, { server: { pushEnabled: false } });
  const image = writeImage(s.h.dir, 'x.sif', 'bytes\n');
  const error = await userError(() => s.h.backend.push!({ file: image.file, size: image.size, name: s.h.parse('vanessa/tacos') }));
  assert.equal(error.message, 'the registry refused the push');
});

test('a frozen tag: HTTP 200 "... already exists." becomes a frozen error', async (t) => {
  const s = await setup(t);
  s.server.freeze('vanessa', 'tacos', 'latest');
  const image = writeImage(s.h.dir, 'x.sif', 'other bytes\n');
  const error = await userError(() => s.h.backend.push!({ file: image.file, size: image.size, name: s.h.parse('vanessa/tacos') }));
  assert.equal(error.line, 'vanessa/tacos:latest is frozen on the registry; push it under another tag');
});

test('"Upload Complete" without a stored image (a staff user who does not own the collection) is caught', async (t) => {
  const s = await setup(t, { env: { SREGISTRY_REGISTRY_USERNAME: 'boss', SREGISTRY_REGISTRY_TOKEN: 'c'.repeat(40) } });
  s.server.addUser({ username: 'boss', token: 'c'.repeat(40), staff: true });
  const image = writeImage(s.h.dir, 'x.sif', 'bytes\n');
  const error = await userError(() => s.h.backend.push!({ file: image.file, size: image.size, name: s.h.parse('vanessa/newthing') }));
  assert.match(error.message, /answered "Upload Complete" but does not hold vanessa\/newthing:latest/);
  assert.match(error.fix ?? '', /owner/);
});

test('push without a token fails before any request', async (t) => {
  const s = await setup(t, { secrets: { registry: { username: USER } } });
  const image = writeImage(s.h.dir, 'x.sif', 'bytes\n');
  const error = await userError(() => s.h.backend.push!({ file: image.file, size: image.size, name: s.h.parse('vanessa/tacos') }));
  assert.equal(error.message, 'Failed to authorize: SREGISTRY_REGISTRY_TOKEN is not set');
  assert.equal(s.server.requests.length, 0);
});

test('push re-signs once when the UTC hour turned during step 1', async (t) => {
  const times = [new Date(Date.now() - ONE_HOUR), new Date()];
  let calls = 0;
  const s = await setup(t, { runtime: { now: () => times[Math.min(calls++, times.length - 1)]! } });
  const image = writeImage(s.h.dir, 'x.sif', 'bytes\n');
  const result = await s.h.backend.push!({ file: image.file, size: image.size, name: s.h.parse('vanessa/tacos') });
  assert.equal(result.message, 'Upload Complete');
  assert.deepEqual(
    s.server.requests.filter((r) => r.method === 'POST').map((r) => [r.path, r.status]),
    [
      ['/api/upload/chunked_upload', 500],
      ['/api/upload/chunked_upload', 200],
      ['/upload', 200],
    ],
  );
});

test('SREGISTRY_HTTPS_NOVERIFY applies to both push POSTs (the original ignored it there)', async (t) => {
  const s = await setup(t, { env: { SREGISTRY_HTTPS_NOVERIFY: 'true' } });
  const seen: string[] = [];
  const spy = {
    ...s.h.ctx.host,
    requestJson: ((req: core.JsonRequest) => {
      seen.push(`${req.method ?? 'GET'} ${req.insecure}`);
      return core.requestJson(req);
    }) as typeof core.requestJson,
    uploadMultipart: ((req: core.UploadRequest) => {
      seen.push(`UPLOAD ${req.insecure}`);
      return core.uploadMultipart(req);
    }) as typeof core.uploadMultipart,
  };
  const backend = createRegistryBackend({ ...s.h.ctx, host: spy, core: spy });
  const image = writeImage(s.h.dir, 'x.sif', 'bytes\n');
  await backend.push!({ file: image.file, size: image.size, name: s.h.parse('vanessa/tacos') });
  assert.deepEqual(seen, ['POST true', 'UPLOAD true', 'GET true']);
  assert.equal(s.h.lines.filter((l) => l.level === 'warn').length, 1);
});
