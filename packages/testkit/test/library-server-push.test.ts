// Library API pushes over real HTTP: creation rules (401/403), v2 single PUT and multipart on the object host
// (Authorization refused, x-amz-content-sha256 checked, ETags, a failing part, abort, the 404 switch), _complete,
// tags with the frozen 400, v1 upload on a v1-only server, delete and its switch.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startLibraryServer } from '../src/library-server/server';
import type { LibraryServerHandle } from '../src/library-server/types';
import { alice, bob, bytes, call, createImage, sha256 } from './library-server-helpers';

const PART = 1024 * 1024;

async function put(url: string, body: Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'PUT', body, headers });
  return { status: res.status, etag: res.headers.get('etag'), text: await res.text() };
}

describe('library server pushes', () => {
  let lib: LibraryServerHandle;

  before(async () => {
    lib = await startLibraryServer({ tokens: [alice, bob], partSize: PART });
  });
  beforeEach(() => {
    lib.setFaults({});
    lib.configure({ multipart: true, delete: true, createEntities: true, apiVersion: '2.0.0-alpha.2', presignMaxUses: undefined });
  });
  after(() => lib.stop());

  it('creates entities and collections only for their owner', async () => {
    assert.equal((await call(lib.url, '/v1/entities', { body: { name: 'alice' } })).status, 401);
    const other = await call(lib.url, '/v1/entities', { token: bob.token, body: { name: 'alice' } });
    assert.equal(other.status, 403);
    assert.equal(other.json.error.code, 403);
    const own = await call(lib.url, '/v1/entities', { token: alice.token, body: { name: 'alice' } });
    assert.equal(own.status, 200);
    const entityId = own.json.data.id;
    assert.equal((await call(lib.url, '/v1/entities', { token: alice.token, body: { name: 'alice' } })).status, 409);
    assert.equal((await call(lib.url, '/v1/collections', { body: { entity: entityId, name: 'pub' } })).status, 401);
    assert.equal((await call(lib.url, '/v1/collections', { token: bob.token, body: { entity: entityId, name: 'pub' } })).status, 403);
    const coll = await call(lib.url, '/v1/collections', { token: alice.token, body: { entity: entityId, name: 'pub' } });
    assert.equal(coll.status, 200);
    assert.equal(coll.json.data.private, false);
    assert.equal(coll.json.data.entity, entityId);
    lib.configure({ createEntities: false });
    const off = await call(lib.url, '/v1/entities', { token: bob.token, body: { name: 'bob' } });
    assert.equal(off.status, 405, 'the Registry Server has no POST /v1/entities');
  });

  it('uploads with one presigned PUT on another host that refuses Authorization and checks the sha256', async () => {
    const data = bytes(300_000, 'single');
    const { imageId, hash, containerId } = await createImage(lib.url, alice.token, {
      entity: 'alice',
      collection: 'single',
      container: 'app',
      data,
    });
    assert.equal((await call(lib.url, `/v2/imagefile/${imageId}`, { body: { filesize: data.length } })).status, 401);
    assert.equal((await call(lib.url, `/v2/imagefile/${imageId}`, { token: bob.token, body: { filesize: data.length } })).status, 403);
    const req = await call(lib.url, `/v2/imagefile/${imageId}`, {
      token: alice.token,
      body: { filesize: data.length, sha256sum: sha256(data), md5sum: 'x' },
    });
    assert.equal(req.status, 200);
    const url = new URL(req.json.data.uploadURL);
    assert.equal(url.origin, lib.objectUrl);
    assert.notEqual(url.origin, lib.url);
    assert.equal(url.searchParams.get('X-Amz-SignedHeaders'), 'host;x-amz-content-sha256');

    const rejected = await put(url.href, data, { Authorization: `Bearer ${alice.token}`, 'x-amz-content-sha256': sha256(data) });
    assert.equal(rejected.status, 400);
    assert.match(rejected.text, /Only one auth mechanism allowed/);
    assert.deepEqual(lib.objectAuthRejections.at(-1), {
      method: 'PUT',
      path: url.pathname.split('/').map(decodeURIComponent).join('/'),
      scheme: 'Bearer',
    });
    assert.equal((await put(url.href, data)).status, 403, 'the signed x-amz-content-sha256 is missing');
    const corrupt = Buffer.from(data);
    corrupt[10] = (corrupt[10] as number) ^ 1;
    const mismatch = await put(url.href, corrupt, { 'x-amz-content-sha256': sha256(data) });
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.text, /XAmzContentSHA256Mismatch/);
    assert.equal((await call(lib.url, `/v2/imagefile/${imageId}/_complete`, { method: 'PUT', token: alice.token, body: {} })).status, 400);

    assert.equal(lib.storedObject(imageId), undefined, 'refused bodies are not kept');
    const ok = await put(url.href, data, { 'x-amz-content-sha256': sha256(data) });
    assert.equal(ok.status, 200);
    assert.match(ok.etag ?? '', /^"[0-9a-f]{32}"$/);
    assert.deepEqual({ ...lib.storedObject(imageId), path: undefined }, { path: undefined, size: data.length, sha256: sha256(data) });
    assert.equal(lib.state.images.get(imageId)?.uploaded, false, 'not the image file before _complete');
    const done = await call(lib.url, `/v2/imagefile/${imageId}/_complete`, { method: 'PUT', token: alice.token, body: {} });
    assert.equal(done.status, 200);
    assert.equal(typeof done.json.data.quota.quotaUsage, 'number');
    assert.equal(done.json.data.containerUrl, '/library/alice/single/app');

    const tag = await call(lib.url, `/v1/tags/${containerId}`, { token: alice.token, body: { Tag: 'latest', ImageID: imageId } });
    assert.equal(tag.status, 200);
    const image = await call(lib.url, '/v1/images/alice/single/app:latest');
    assert.equal(image.json.data.hash, hash);
    assert.equal(image.json.data.uploaded, true);
    assert.equal(image.json.data.size, data.length);
    const file = await fetch(`${lib.url}/v1/imagefile/alice/single/app:latest`);
    assert.equal(file.status, 200, 'fetch follows the 303 to the object host');
    assert.equal(sha256(Buffer.from(await file.arrayBuffer())), sha256(data));
    const stored = lib.state.images.get(imageId)?.path ?? '';
    assert.ok(existsSync(stored));
    await lib.removeImage(imageId);
    assert.ok(!existsSync(stored), 'removeImage removes the file the server wrote');
    assert.equal((await call(lib.url, '/v1/images/alice/single/app:latest')).status, 404);
  });

  it('uploads in server-sized parts with per-part sha256 and ETags, and survives a failing part', async () => {
    const data = bytes(2 * PART + 12_345, 'multipart');
    const { imageId, hash, containerId } = await createImage(lib.url, alice.token, {
      entity: 'alice',
      collection: 'multi',
      container: 'big',
      data,
    });
    const start = await call(lib.url, `/v2/imagefile/${imageId}/_multipart`, { token: alice.token, body: { filesize: data.length } });
    assert.equal(start.status, 200);
    const { uploadID, totalParts, partSize } = start.json.data;
    assert.equal(partSize, PART);
    assert.equal(totalParts, 3);
    lib.setFaults({ failPart: { part: 2, mode: 503 } });
    const parts: { partNumber: number; token: string }[] = [];
    for (let n = 1; n <= totalParts; n++) {
      const chunk = data.subarray((n - 1) * partSize, Math.min(data.length, n * partSize));
      const body = { uploadID, partNumber: n, partSize: chunk.length, sha256sum: sha256(chunk) };
      const signed = await call(lib.url, `/v2/imagefile/${imageId}/_multipart`, { method: 'PUT', token: alice.token, body });
      assert.equal(signed.status, 200);
      const url = signed.json.data.presignedURL as string;
      assert.equal(new URL(url).origin, lib.objectUrl);
      assert.equal((await put(url, chunk, { Authorization: `Bearer ${alice.token}`, 'x-amz-content-sha256': sha256(chunk) })).status, 400);
      assert.equal(
        (await put(url, chunk, { 'x-amz-content-sha256': sha256(data.subarray(0, 10)) })).status,
        403,
        'another sha256 than signed',
      );
      let res = await put(url, chunk, { 'x-amz-content-sha256': sha256(chunk) });
      if (n === 2) {
        assert.equal(res.status, 503, 'the injected failure');
        res = await put(url, chunk, { 'x-amz-content-sha256': sha256(chunk) });
      }
      assert.equal(res.status, 200, `part ${n}`);
      assert.match(res.etag ?? '', /^"[0-9a-f]{32}"$/);
      parts.push({ partNumber: n, token: res.etag as string });
    }
    const wrong = await call(lib.url, `/v2/imagefile/${imageId}/_multipart_complete`, {
      method: 'PUT',
      token: alice.token,
      body: { uploadID, completedParts: parts.map((p) => ({ ...p, token: '"0000"' })) },
    });
    assert.equal(wrong.status, 400);
    const done = await call(lib.url, `/v2/imagefile/${imageId}/_multipart_complete`, {
      method: 'PUT',
      token: alice.token,
      body: { uploadID, completedParts: parts },
    });
    assert.equal(done.status, 200, done.text);
    assert.equal((await call(lib.url, `/v2/imagefile/${imageId}/_complete`, { method: 'PUT', token: alice.token, body: {} })).status, 200);
    await call(lib.url, `/v1/tags/${containerId}`, { token: alice.token, body: { Tag: 'latest', ImageID: imageId } });
    const file = await fetch(`${lib.url}/v1/imagefile/alice/multi/big:latest`);
    const got = Buffer.from(await file.arrayBuffer());
    assert.equal(got.length, data.length);
    assert.equal(`sha256.${sha256(got)}`, hash);
  });

  it('refuses to complete parts sent in order, each matching its sha256, that do not make the image', async () => {
    const data = bytes(2 * PART + 99, 'image');
    const other = bytes(2 * PART + 99, 'other bytes');
    const { imageId } = await createImage(lib.url, alice.token, { entity: 'alice', collection: 'multi', container: 'mismatch', data });
    const { uploadID, totalParts } = (
      await call(lib.url, `/v2/imagefile/${imageId}/_multipart`, { token: alice.token, body: { filesize: data.length } })
    ).json.data;
    const completedParts: { partNumber: number; token: string }[] = [];
    for (let n = 1; n <= totalParts; n++) {
      const chunk = other.subarray((n - 1) * PART, Math.min(other.length, n * PART));
      const signed = await call(lib.url, `/v2/imagefile/${imageId}/_multipart`, {
        method: 'PUT',
        token: alice.token,
        body: { uploadID, partNumber: n, partSize: chunk.length, sha256sum: sha256(chunk) },
      });
      const res = await put(signed.json.data.presignedURL as string, chunk, { 'x-amz-content-sha256': sha256(chunk) });
      assert.equal(res.status, 200, `part ${n}`);
      completedParts.push({ partNumber: n, token: res.etag as string });
    }
    const done = await call(lib.url, `/v2/imagefile/${imageId}/_multipart_complete`, {
      method: 'PUT',
      token: alice.token,
      body: { uploadID, completedParts },
    });
    assert.equal(done.status, 400);
    assert.match(done.text, new RegExp(`sha256 ${sha256(other)}`));
    assert.equal(lib.state.images.get(imageId)?.uploaded, false);
  });

  it('assembles parts sent out of order or again, and refuses a body longer than its part', async () => {
    const data = bytes(3 * PART - 7, 'order');
    const { imageId, hash } = await createImage(lib.url, alice.token, { entity: 'alice', collection: 'multi', container: 'order', data });
    const { uploadID, totalParts } = (
      await call(lib.url, `/v2/imagefile/${imageId}/_multipart`, { token: alice.token, body: { filesize: data.length } })
    ).json.data;
    const chunkOf = (n: number) => data.subarray((n - 1) * PART, Math.min(data.length, n * PART));
    const urlOf = async (n: number) =>
      (
        await call(lib.url, `/v2/imagefile/${imageId}/_multipart`, {
          method: 'PUT',
          token: alice.token,
          body: { uploadID, partNumber: n, partSize: chunkOf(n).length, sha256sum: sha256(chunkOf(n)) },
        })
      ).json.data.presignedURL as string;
    const etags = new Map<number, string>();
    for (const n of [2, 1, 3, 1]) {
      const res = await put(await urlOf(n), chunkOf(n), { 'x-amz-content-sha256': sha256(chunkOf(n)) });
      assert.equal(res.status, 200, `part ${n}`);
      etags.set(n, res.etag as string);
    }
    const long = Buffer.concat([chunkOf(1), Buffer.from('x')]);
    const refused = await put(await urlOf(1), long, { 'x-amz-content-sha256': sha256(chunkOf(1)) });
    assert.equal(refused.status, 400);
    assert.match(refused.text, /InvalidPart/);
    const completedParts = [...Array(totalParts).keys()].map((i) => ({ partNumber: i + 1, token: etags.get(i + 1) }));
    const done = await call(lib.url, `/v2/imagefile/${imageId}/_multipart_complete`, {
      method: 'PUT',
      token: alice.token,
      body: { uploadID, completedParts },
    });
    assert.equal(done.status, 200, done.text);
    const image = lib.state.images.get(imageId);
    assert.equal(image?.uploaded, true);
    assert.equal(image?.size, data.length);
    assert.equal(`sha256.${sha256(readFileSync(image?.path ?? ''))}`, hash);
  });

  it('refuses a part that is not the size the server chose, and forgets an aborted upload', async () => {
    const data = bytes(PART + 10, 'abort');
    const { imageId } = await createImage(lib.url, alice.token, { entity: 'alice', collection: 'multi', container: 'aborted', data });
    const start = await call(lib.url, `/v2/imagefile/${imageId}/_multipart`, { token: alice.token, body: { filesize: data.length } });
    const { uploadID } = start.json.data;
    const first = data.subarray(0, PART);
    const badSize = await call(lib.url, `/v2/imagefile/${imageId}/_multipart`, {
      method: 'PUT',
      token: alice.token,
      body: { uploadID, partNumber: 1, partSize: 10, sha256sum: sha256(first) },
    });
    assert.equal(badSize.status, 400);
    const signed = await call(lib.url, `/v2/imagefile/${imageId}/_multipart`, {
      method: 'PUT',
      token: alice.token,
      body: { uploadID, partNumber: 1, partSize: PART, sha256sum: sha256(first) },
    });
    const url = signed.json.data.presignedURL as string;
    assert.equal((await put(url, first, { 'x-amz-content-sha256': sha256(first) })).status, 200);
    const abort = await call(lib.url, `/v2/imagefile/${imageId}/_multipart_abort`, {
      method: 'PUT',
      token: alice.token,
      body: { uploadID },
    });
    assert.equal(abort.status, 200);
    assert.equal((await put(url, first, { 'x-amz-content-sha256': sha256(first) })).status, 403, 'its part URLs no longer work');
    const late = await call(lib.url, `/v2/imagefile/${imageId}/_multipart_complete`, {
      method: 'PUT',
      token: alice.token,
      body: { uploadID, completedParts: [] },
    });
    assert.equal(late.status, 404);
  });

  it('answers 404 on _multipart when multipart is off, so a client falls back to one PUT', async () => {
    lib.configure({ multipart: false });
    const data = bytes(1000, 'nomulti');
    const { imageId } = await createImage(lib.url, alice.token, { entity: 'alice', collection: 'multi', container: 'nomulti', data });
    assert.equal(
      (await call(lib.url, `/v2/imagefile/${imageId}/_multipart`, { token: alice.token, body: { filesize: 1000 } })).status,
      404,
    );
    assert.equal((await call(lib.url, `/v2/imagefile/${imageId}`, { token: alice.token, body: { filesize: 1000 } })).status, 200);
  });

  it('refuses to move a frozen tag with the Registry Server 400', async () => {
    const old = await lib.addImage({ ref: 'alice/frozen/app:stable', file: bytes(100, 'old'), frozen: true });
    const data = bytes(200, 'new');
    const { imageId, containerId } = await createImage(lib.url, alice.token, {
      entity: 'alice',
      collection: 'frozen',
      container: 'app',
      data,
    });
    assert.equal(containerId, old.containerId);
    const res = await call(lib.url, `/v1/tags/${containerId}`, { token: alice.token, body: { Tag: 'stable', ImageID: imageId } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { message: 'This tag exists, and is frozen.' });
    assert.equal(
      (await call(lib.url, `/v2/tags/${containerId}`, { token: alice.token, body: { Arch: 'amd64', Tag: 'stable', ImageID: imageId } }))
        .status,
      400,
    );
    assert.equal((await call(lib.url, '/v1/images/alice/frozen/app:stable')).json.data.id, old.id);
    assert.equal(
      (await call(lib.url, `/v1/tags/${containerId}`, { token: bob.token, body: { Tag: 'other', ImageID: imageId } })).status,
      403,
    );
    assert.equal((await call(lib.url, `/v1/tags/${containerId}`, { body: { Tag: 'other', ImageID: imageId } })).status, 401);
  });

  it('sets v2 arch tags without touching other arches, and v1 tags for all arches', async () => {
    const amd = await lib.addImage({ ref: 'alice/arch/app:base', file: bytes(100, 'a1') });
    const arm = await lib.addImage({ ref: 'alice/arch/app:base', file: bytes(100, 'a2'), arch: 'arm64' });
    const id = amd.containerId;
    const v2 = await call(lib.url, `/v2/tags/${id}`, { token: alice.token, body: { Arch: 'arm64', Tag: 'latest', ImageID: arm.id } });
    assert.equal(v2.status, 200);
    assert.equal((await call(lib.url, '/v1/images/alice/arch/app:latest?arch=arm64')).json.data.id, arm.id);
    assert.equal((await call(lib.url, '/v1/images/alice/arch/app:latest?arch=amd64')).status, 404);
    assert.equal((await call(lib.url, `/v1/tags/${id}`, { token: alice.token, body: { Tag: 'latest', ImageID: amd.id } })).status, 200);
    assert.equal((await call(lib.url, '/v1/images/alice/arch/app:latest?arch=amd64')).json.data.id, amd.id);
    assert.equal((await call(lib.url, '/v1/images/alice/arch/app:latest?arch=arm64')).status, 404, 'a v1 tag moves for every arch');
  });

  it('takes a v1 upload (raw body) where v2 does not exist', async () => {
    lib.configure({ apiVersion: '1.0.0' });
    const data = bytes(4000, 'v1');
    const { imageId } = await createImage(lib.url, alice.token, { entity: 'alice', collection: 'v1', container: 'app', data });
    const v2 = await call(lib.url, `/v2/imagefile/${imageId}`, { token: alice.token, body: { filesize: data.length } });
    assert.equal(v2.status, 404);
    const wrong = await fetch(`${lib.url}/v1/imagefile/${imageId}`, {
      method: 'POST',
      body: bytes(4000, 'other'),
      headers: { Authorization: `Bearer ${alice.token}` },
    });
    assert.equal(wrong.status, 400);
    const ok = await fetch(`${lib.url}/v1/imagefile/${imageId}`, {
      method: 'POST',
      body: data,
      headers: { Authorization: `Bearer ${alice.token}` },
    });
    assert.equal(ok.status, 200);
    assert.equal(lib.state.images.get(imageId)?.uploaded, true);
  });

  it('deletes an image for its owner only, never behind a frozen tag, and only where delete is offered', async () => {
    await lib.addImage({ ref: 'alice/del/app:latest', file: bytes(100, 'del') });
    await lib.addImage({ ref: 'alice/del/keep:latest', file: bytes(100, 'keep'), frozen: true });
    assert.equal((await call(lib.url, '/v1/images/alice/del/app:latest', { method: 'DELETE' })).status, 401);
    assert.equal((await call(lib.url, '/v1/images/alice/del/app:latest', { method: 'DELETE', token: bob.token })).status, 403);
    assert.equal((await call(lib.url, '/v1/images/alice/del/keep:latest', { method: 'DELETE', token: alice.token })).status, 400);
    lib.configure({ delete: false });
    assert.equal((await call(lib.url, '/v1/images/alice/del/app:latest', { method: 'DELETE', token: alice.token })).status, 405);
    lib.configure({ delete: true });
    assert.equal((await call(lib.url, '/v1/images/alice/del/app:latest', { method: 'DELETE', token: alice.token })).status, 200);
    assert.equal((await call(lib.url, '/v1/images/alice/del/app:latest')).status, 404);
  });
});
