// The 'registry-server' flavour: Singularity Registry Server 2.1.2's /v1 and /v2 as registry-api.md §1.5 has
// them, driven in the order Apptainer's push and pull use (entity, collection, container, pinned image GET,
// /version, v2 upload, tags to the collection id), with its bare-status errors and other quirks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startLibraryServer } from '../src/library-server/server';
import type { LibraryServerHandle } from '../src/library-server/types';
import { alice, bob, bytes, call, sha256 } from './library-server-helpers';

const MiB = 1024 * 1024;

describe('library server, registry-server flavour', () => {
  let lib: LibraryServerHandle;
  before(async () => {
    lib = await startLibraryServer({ flavour: 'registry-server', tokens: [alice, bob], partSize: MiB, entities: [{ name: 'alice' }] });
  });
  after(() => lib.stop());

  it('has its defaults: apiVersion 2.0.0-alpha.1, no search, no POST /v1/entities, no /v2/tags', async () => {
    assert.deepEqual((await call(lib.url, '/version')).json, { data: { version: 'v1.0.0', apiVersion: '2.0.0-alpha.1' } });
    assert.equal((await call(lib.url, '/v1/search?value=abc')).status, 404);
    assert.equal((await call(lib.url, '/v1/entities', { token: alice.token, body: { name: 'alice' } })).status, 405);
    for (const path of ['/v1/containers', '/v1/images']) {
      const r = await call(lib.url, path, { token: alice.token, body: {} });
      assert.equal(r.status, 405, path);
      assert.deepEqual(r.json, { detail: 'Method "POST" not allowed.' });
    }
    const v2tags = await call(lib.url, '/v2/tags/5e1b00000000000000000001', { token: alice.token });
    assert.equal(v2tags.status, 404);
    assert.match(v2tags.text, /Not Found/);
  });

  it('answers /v1/token-status with a bare 200 for a known token and a bare 404 otherwise', async () => {
    const good = await call(lib.url, '/v1/token-status', { token: alice.token });
    assert.equal(good.status, 200);
    assert.equal(good.text, '', 'no body');
    for (const token of [undefined, 'not-a-token']) {
      const r = await call(lib.url, '/v1/token-status', { token });
      assert.equal(r.status, 404, String(token));
      assert.equal(r.text, '', 'no body');
    }
  });

  it('answers entity and collection reads to their owner only, with bare statuses otherwise', async () => {
    const own = await call(lib.url, '/v1/entities/alice', { token: alice.token });
    assert.equal(own.status, 200);
    for (const token of [undefined, bob.token]) {
      const r = await call(lib.url, '/v1/entities/alice', { token });
      assert.equal(r.status, 404);
      assert.equal(r.text, '', 'no body');
    }
    assert.equal((await call(lib.url, '/v1/collections/alice/tools')).status, 403, 'no token');
    const missing = await call(lib.url, '/v1/collections/alice/tools', { token: alice.token });
    assert.equal(missing.status, 404);
    assert.equal(missing.text, '');
    // POST /v1/collections keeps the envelope there too
    const refused = await call(lib.url, '/v1/collections', { token: bob.token, body: { entity: own.json.data.id, name: 'tools' } });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error.code, 403);
  });

  it('takes a push in Apptainer order: container id is the collection id, the pinned GET makes the image, tags go to the collection', async () => {
    const data = bytes(2 * MiB + 99, 'rs-push');
    const hash = `sha256.${sha256(data)}`;
    const entity = await call(lib.url, '/v1/entities/alice', { token: alice.token });
    const coll = await call(lib.url, '/v1/collections', { token: alice.token, body: { entity: entity.json.data.id, name: 'tools' } });
    assert.equal(coll.status, 200);
    const collectionId = coll.json.data.id;
    assert.equal((await call(lib.url, '/v1/containers/alice/tools/app', { token: bob.token })).status, 403);
    const container = await call(lib.url, '/v1/containers/alice/tools/app', { token: alice.token });
    assert.equal(container.status, 200, 'answered although the container does not exist');
    assert.equal(container.json.data.id, collectionId);
    const pinned = await call(lib.url, `/v1/images/alice/tools/app:${hash}?arch=amd64`, { token: alice.token });
    assert.equal(pinned.status, 200, 'the pinned GET creates the image');
    assert.equal(pinned.json.data.hash, hash);
    assert.ok(!('uploaded' in pinned.json.data), 'no uploaded field');
    assert.equal(pinned.json.data.size, null);
    const imageId = pinned.json.data.id;
    assert.equal((await call(lib.url, `/v1/images/alice/tools/app:${hash}`, { token: alice.token })).json.data.id, imageId, 'found again');

    const start = await call(lib.url, `/v2/imagefile/${imageId}/_multipart`, { token: alice.token, body: { filesize: data.length } });
    const { uploadID, totalParts, partSize } = start.json.data;
    assert.equal(totalParts, 3);
    const completedParts = [];
    for (let n = 1; n <= totalParts; n++) {
      const chunk = data.subarray((n - 1) * partSize, n * partSize);
      const signed = await call(lib.url, `/v2/imagefile/${imageId}/_multipart`, {
        method: 'PUT',
        token: alice.token,
        body: { uploadID, partNumber: n, partSize: chunk.length, sha256sum: sha256(chunk) },
      });
      const res = await fetch(signed.json.data.presignedURL, {
        method: 'PUT',
        body: chunk,
        headers: { 'x-amz-content-sha256': sha256(chunk) },
      });
      assert.equal(res.status, 200);
      completedParts.push({ partNumber: n, token: res.headers.get('etag') });
    }
    const done = await call(lib.url, `/v2/imagefile/${imageId}/_multipart_complete`, {
      method: 'PUT',
      token: alice.token,
      body: { uploadID, completedParts },
    });
    assert.equal(done.status, 200);
    assert.deepEqual(done.json, {});
    const complete = await call(lib.url, `/v2/imagefile/${imageId}/_complete`, { method: 'PUT', body: {} });
    assert.equal(complete.status, 200, 'no token checked');
    assert.equal(complete.text, '');
    const tag = await call(lib.url, `/v1/tags/${collectionId}`, { token: alice.token, body: { Tag: 'latest', ImageID: imageId } });
    assert.equal(tag.status, 200);
    assert.equal(tag.text, '');
    assert.deepEqual((await call(lib.url, `/v1/tags/${collectionId}`, { token: alice.token })).json.data, { latest: imageId });

    const pull = await call(lib.url, '/v1/imagefile/alice/tools/app:latest?arch=amd64');
    assert.equal(pull.status, 302);
    const file = Buffer.from(await (await fetch(pull.headers.get('location') ?? '')).arrayBuffer());
    assert.equal(`sha256.${sha256(file)}`, hash);
  });

  it('finds amd64 images only, and answers a private image 500 without a token and 404 to strangers', async () => {
    await lib.addImage({ ref: 'alice/arm/app:latest', file: bytes(100, 'arm'), arch: 'arm64' });
    assert.equal((await call(lib.url, '/v1/images/alice/arm/app:latest?arch=arm64')).status, 404);
    await lib.addImage({ ref: 'alice/private/app:latest', file: bytes(100, 'private'), private: true });
    assert.equal((await call(lib.url, '/v1/images/alice/private/app:latest')).status, 500);
    assert.equal((await call(lib.url, '/v1/images/alice/private/app:latest', { token: bob.token })).status, 404);
    assert.equal((await call(lib.url, '/v1/images/alice/private/app:latest', { token: alice.token })).status, 200);
    assert.equal((await call(lib.url, '/v1/imagefile/alice/private/app:latest')).status, 404, 'the file GET without a token');
    assert.equal((await call(lib.url, '/v1/imagefile/alice/private/app:latest', { token: bob.token })).status, 404);
    assert.equal((await call(lib.url, '/v1/imagefile/alice/private/app:latest', { token: alice.token })).status, 302);
  });

  it('reads pull refs its way: the entity ignored or left out, a one-part name matched by hash', async () => {
    const data = bytes(300, 'rs-refs');
    const image = await lib.addImage({ ref: 'alice/refs/app:v1', file: data });
    for (const ref of ['alice/refs/app:v1', 'someone/refs/app:v1', 'refs/app:v1', `app:${image.hash}`, `refs/app@${image.hash}`]) {
      const r = await call(lib.url, `/v1/images/${ref}`);
      assert.equal(r.status, 200, ref);
      assert.equal(r.json.data.id, image.id, ref);
      const file = await call(lib.url, `/v1/imagefile/${ref}`);
      assert.equal(file.status, 302, ref);
    }
    assert.equal((await call(lib.url, '/v1/images/refs/none:v1')).status, 404);
    assert.equal((await call(lib.url, '/v1/images/app:v1')).status, 404, 'one part needs a hash');
  });

  it('deletes the placeholder image on _multipart_abort', async () => {
    const data = bytes(MiB + 1, 'rs-abort');
    const hash = `sha256.${sha256(data)}`;
    await call(lib.url, '/v1/containers/alice/tools/aborted', { token: alice.token });
    const imageId = (await call(lib.url, `/v1/images/alice/tools/aborted:${hash}`, { token: alice.token })).json.data.id;
    const { uploadID } = (
      await call(lib.url, `/v2/imagefile/${imageId}/_multipart`, { token: alice.token, body: { filesize: data.length } })
    ).json.data;
    assert.equal(
      (await call(lib.url, `/v2/imagefile/${imageId}/_multipart_abort`, { method: 'PUT', token: alice.token, body: { uploadID } })).status,
      200,
    );
    assert.equal(lib.state.images.has(imageId), false);
    assert.equal((await call(lib.url, `/v2/imagefile/${imageId}`, { token: alice.token, body: { filesize: 1 } })).status, 404);
  });

  it('refuses a frozen tag with its 400 message', async () => {
    const old = await lib.addImage({ ref: 'alice/frozen/app:stable', file: bytes(100, 'rs-old'), frozen: true });
    const hash = `sha256.${sha256(bytes(50, 'rs-new'))}`;
    const coll = await call(lib.url, '/v1/containers/alice/frozen/app', { token: alice.token });
    const imageId = (await call(lib.url, `/v1/images/alice/frozen/app:${hash}`, { token: alice.token })).json.data.id;
    const res = await call(lib.url, `/v1/tags/${coll.json.data.id}`, { token: alice.token, body: { Tag: 'stable', ImageID: imageId } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { message: 'This tag exists, and is frozen.' });
    assert.equal((await call(lib.url, '/v1/images/alice/frozen/app:stable')).json.data.id, old.id);
  });
});
