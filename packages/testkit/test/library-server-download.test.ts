// Library API downloads over real HTTP: /v1/imagefile as 303 (Sylabs Cloud), 302 (Registry Server) or the file
// itself; the object host's Range GETs, its refusal of an Authorization header, and presigned URL expiry.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLibraryServer } from '../src/library-server/server';
import type { LibraryImageRow, LibraryServerHandle } from '../src/library-server/types';
import { alice, bytes, call, sha256 } from './library-server-helpers';

const SIZE = 3 * 1024 * 1024 + 17;

/** A raw GET (node:http), so a cut connection shows as an error instead of a retry. */
function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('aborted')));
    })
      .on('error', reject)
      .end();
  });
}

describe('library server downloads', () => {
  let lib: LibraryServerHandle;
  let image: LibraryImageRow;
  const data = bytes(SIZE, 'download');

  before(async () => {
    lib = await startLibraryServer({ tokens: [alice] });
    image = await lib.addImage({ ref: 'alice/tools/big:latest', file: data });
  });
  beforeEach(() => {
    lib.setFaults({});
    lib.configure({ download: 303, presignExpiryMs: 5 * 60 * 1000, presignMaxUses: undefined });
  });
  after(() => lib.stop());

  it('answers 303 to the object host, which serves byte ranges', async () => {
    const res = await call(lib.url, '/v1/imagefile/alice/tools/big:latest?arch=amd64', { token: alice.token });
    assert.equal(res.status, 303);
    const location = res.headers.get('location') ?? '';
    assert.equal(new URL(location).origin, lib.objectUrl);
    assert.equal(new URL(location).searchParams.get('X-Amz-Expires'), '300');
    const head = await fetch(location, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('accept-ranges'), 'bytes');
    assert.equal(head.headers.get('content-length'), String(SIZE));
    const part = await rawGet(location, { Range: 'bytes=1048576-2097151' });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 1048576-2097151/${SIZE}`);
    assert.ok(part.body.equals(data.subarray(1048576, 2097152)));
    const tail = await rawGet(location, { Range: `bytes=${SIZE - 5}-` });
    assert.equal(tail.status, 206);
    assert.ok(tail.body.equals(data.subarray(SIZE - 5)));
    assert.equal((await rawGet(location, { Range: `bytes=${SIZE}-` })).status, 416);
    const whole = await rawGet(location);
    assert.equal(whole.status, 200);
    assert.equal(sha256(whole.body), sha256(data));
    assert.equal(`sha256.${sha256(whole.body)}`, image.hash);
  });

  it('refuses a token on the object host and records that it came', async () => {
    const res = await call(lib.url, '/v1/imagefile/alice/tools/big:latest');
    const location = res.headers.get('location') ?? '';
    const before = lib.objectAuthRejections.length;
    const refused = await rawGet(location, { Authorization: `Bearer ${alice.token}` });
    assert.equal(refused.status, 400);
    assert.match(refused.body.toString(), /InvalidArgument/);
    assert.equal(lib.objectAuthRejections.length, before + 1);
    assert.equal(lib.objectAuthRejections.at(-1)?.scheme, 'Bearer');
    const rec = lib.requests.filter((r) => r.host === 'object').at(-1);
    assert.equal(rec?.authorization, true);
    assert.equal(rec?.query['X-Amz-Signature'], '[redacted]');
    assert.ok(!JSON.stringify(lib.requests).includes(alice.token));
    assert.ok(!JSON.stringify(lib.requests).includes(new URL(location).searchParams.get('X-Amz-Signature') ?? '-'));
  });

  it('answers 302 like the Registry Server, or the file itself with ranges', async () => {
    lib.configure({ download: 302 });
    assert.equal((await call(lib.url, '/v1/imagefile/alice/tools/big:latest')).status, 302);
    lib.configure({ download: 'direct' });
    const direct = await rawGet(`${lib.url}/v1/imagefile/alice/tools/big:latest`);
    assert.equal(direct.status, 200);
    assert.equal(sha256(direct.body), sha256(data));
    const part = await rawGet(`${lib.url}/v1/imagefile/alice/tools/big:latest`, { Range: 'bytes=0-9' });
    assert.equal(part.status, 206);
    assert.ok(part.body.equals(data.subarray(0, 10)));
  });

  it('expires presigned URLs after their lifetime or their uses', async () => {
    lib.configure({ presignExpiryMs: 0 });
    const expired = (await call(lib.url, '/v1/imagefile/alice/tools/big:latest')).headers.get('location') ?? '';
    const gone = await rawGet(expired);
    assert.equal(gone.status, 403);
    assert.match(gone.body.toString(), /Request has expired/);
    lib.configure({ presignExpiryMs: 60_000, presignMaxUses: 1 });
    const once = (await call(lib.url, '/v1/imagefile/alice/tools/big:latest')).headers.get('location') ?? '';
    assert.equal((await rawGet(once, { Range: 'bytes=0-0' })).status, 206);
    assert.equal((await rawGet(once, { Range: 'bytes=0-0' })).status, 403, 'the second use is refused');
    // re-requesting gives a fresh URL that works
    const again = (await call(lib.url, '/v1/imagefile/alice/tools/big:latest')).headers.get('location') ?? '';
    assert.equal((await rawGet(again, { Range: 'bytes=0-0' })).status, 206);
    const forged = new URL(again);
    forged.searchParams.set('X-Amz-Signature', '0'.repeat(64));
    assert.equal((await rawGet(forged.href)).status, 403);
  });

  it('cuts a download short, flips its last byte or ignores Range on request', async () => {
    const location = (await call(lib.url, '/v1/imagefile/alice/tools/big:latest')).headers.get('location') ?? '';
    lib.setFaults({ dropDownloadAfterBytes: 1000 });
    await assert.rejects(rawGet(location));
    assert.equal((await rawGet(location)).body.length, SIZE, 'only once');
    lib.setFaults({ corruptDownloads: true });
    const corrupt = await rawGet(location);
    assert.equal(corrupt.body.length, SIZE);
    assert.notEqual(sha256(corrupt.body), sha256(data));
    lib.setFaults({ ignoreRange: true });
    assert.equal((await rawGet(location, { Range: 'bytes=0-9' })).status, 200);
  });

  it('paces download and upload bodies like a slow link', async () => {
    const location = (await call(lib.url, '/v1/imagefile/alice/tools/big:latest')).headers.get('location') ?? '';
    lib.setFaults({ downloadBytesPerSecond: 400_000 });
    let started = Date.now();
    const part = await rawGet(location, { Range: 'bytes=0-199999' });
    assert.equal(part.body.length, 200_000);
    assert.ok(Date.now() - started >= 400, `200 kB at 400 kB/s took ${Date.now() - started} ms`);
    const small = bytes(200_000, 'paced-upload');
    const target = await lib.addImage({ ref: 'alice/tools/paced:latest', file: small, uploaded: false });
    lib.setFaults({ uploadBytesPerSecond: 400_000 });
    started = Date.now();
    const res = await fetch(lib.presignUpload(target.id), {
      method: 'PUT',
      body: small,
      headers: { 'x-amz-content-sha256': sha256(small) },
    });
    assert.equal(res.status, 200);
    assert.ok(Date.now() - started >= 400, `a 200 kB upload at 400 kB/s took ${Date.now() - started} ms`);
    assert.equal(lib.storedObject(target.id)?.size, small.length);
  });

  it('delays answers and fails requests on either host when asked', async () => {
    lib.setFaults({ delayMs: { api: 300 } });
    const started = Date.now();
    assert.equal((await call(lib.url, '/version')).status, 200);
    assert.ok(Date.now() - started >= 290);
    const rec = lib.requests.at(-1);
    // the server notes the end when its side of the exchange closes, which may come just after the client has the answer
    for (let i = 0; i < 100 && rec?.durationMs === undefined; i++) await sleep(10);
    assert.ok(rec && rec.startedAt >= started - 5 && (rec.durationMs ?? 0) >= 290, 'the record says how long the answer took');
    lib.setFaults({ failRequests: { host: 'api', pathPrefix: '/v1/images/', status: 502 } });
    assert.equal((await call(lib.url, '/v1/images/alice/tools/big:latest')).status, 502);
    assert.equal((await call(lib.url, '/v1/images/alice/tools/big:latest')).status, 200);
    const location = (await call(lib.url, '/v1/imagefile/alice/tools/big:latest')).headers.get('location') ?? '';
    lib.setFaults({ failRequests: { host: 'object', pathPrefix: '/', status: 'drop' } });
    await assert.rejects(rawGet(location));
  });
});
