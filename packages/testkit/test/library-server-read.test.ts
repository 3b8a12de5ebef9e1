// Library API reads over real HTTP (hub-sif-library.md C.1, registry-api.md §1.5): envelopes, /version, tag,
// arch and hash resolution, private collections as 404, search and its absence, the token check, the request record.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startLibraryServer } from '../src/library-server/server';
import type { LibraryImageRow, LibraryServerHandle } from '../src/library-server/types';
import { alice, bob, bytes, call, sha256 } from './library-server-helpers';

describe('library server reads', () => {
  let lib: LibraryServerHandle;
  let amd: LibraryImageRow;
  let arm: LibraryImageRow;
  let secret: LibraryImageRow;
  const amdBytes = bytes(5000, 'amd64');

  before(async () => {
    lib = await startLibraryServer({ tokens: [alice, bob] });
    amd = await lib.addImage({ ref: 'alice/tools/hello:latest,v1', file: amdBytes });
    arm = await lib.addImage({ ref: 'alice/tools/hello:latest', file: bytes(4000, 'arm64'), arch: 'arm64' });
    secret = await lib.addImage({ ref: 'alice/secret/thing:latest', file: bytes(100, 'secret'), private: true });
  });
  after(() => lib.stop());

  it('answers /version in the data envelope, with a configurable apiVersion', async () => {
    const v = await call(lib.url, '/version');
    assert.equal(v.status, 200);
    assert.deepEqual(v.json, { data: { version: 'v1.0.0', apiVersion: '2.0.0-alpha.2' } });
    lib.configure({ apiVersion: '1.0.0' });
    try {
      assert.equal((await call(lib.url, '/version')).json.data.apiVersion, '1.0.0');
      // a v1-only server has no v2 routes at all
      const v2 = await call(lib.url, `/v2/tags/${amd.containerId}`);
      assert.equal(v2.status, 404);
      assert.match(v2.headers.get('content-type') ?? '', /text\/html/);
    } finally {
      lib.configure({ apiVersion: '2.0.0-alpha.2' });
    }
  });

  it('serves entity, collection and container objects', async () => {
    const e = await call(lib.url, '/v1/entities/alice');
    assert.equal(e.status, 200);
    assert.equal(e.json.data.name, 'alice');
    // a stranger does not see the private collection's id
    assert.equal(e.json.data.collections.length, 1);
    assert.equal((await call(lib.url, '/v1/entities/alice', { token: alice.token })).json.data.collections.length, 2);
    const c = await call(lib.url, '/v1/collections/alice/tools');
    assert.equal(c.status, 200);
    assert.equal(c.json.data.name, 'tools');
    assert.equal(c.json.data.private, false);
    assert.equal(c.json.data.entity, e.json.data.id);
    const n = await call(lib.url, '/v1/containers/alice/tools/hello');
    assert.equal(n.status, 200);
    assert.equal(n.json.data.name, 'hello');
    assert.deepEqual(n.json.data.imageTags, { latest: amd.id, v1: amd.id });
    assert.deepEqual(n.json.data.archTags, { amd64: { latest: amd.id, v1: amd.id }, arm64: { latest: arm.id } });
    assert.deepEqual(n.json.data.images.sort(), [amd.id, arm.id].sort());
  });

  it('answers unknown objects with a 404 error envelope', async () => {
    for (const path of [
      '/v1/entities/nobody',
      '/v1/collections/alice/none',
      '/v1/containers/alice/tools/none',
      '/v1/images/alice/tools/hello:nope',
    ]) {
      const r = await call(lib.url, path);
      assert.equal(r.status, 404, path);
      assert.equal(r.json.error.code, 404, path);
      assert.equal(typeof r.json.error.message, 'string', path);
    }
  });

  it('resolves an image by tag and arch, and pins by hash in both spellings', async () => {
    const latest = await call(lib.url, '/v1/images/alice/tools/hello:latest?arch=amd64');
    assert.equal(latest.status, 200);
    assert.equal(latest.json.data.id, amd.id);
    assert.equal(latest.json.data.hash, `sha256.${sha256(amdBytes)}`);
    assert.equal(latest.json.data.size, 5000);
    assert.equal(latest.json.data.arch, 'amd64');
    assert.equal(latest.json.data.uploaded, true);
    assert.deepEqual(latest.json.data.tags, ['latest', 'v1']);
    assert.equal((await call(lib.url, '/v1/images/alice/tools/hello')).json.data.id, amd.id, 'no tag and no arch: latest, amd64');
    assert.equal((await call(lib.url, '/v1/images/alice/tools/hello:latest?arch=arm64')).json.data.id, arm.id);
    const wrongArch = await call(lib.url, '/v1/images/alice/tools/hello:v1?arch=arm64');
    assert.equal(wrongArch.status, 404);
    assert.match(wrongArch.json.error.message, /arch arm64/);
    assert.equal((await call(lib.url, `/v1/images/alice/tools/hello:${amd.hash}`)).json.data.id, amd.id);
    assert.equal((await call(lib.url, `/v1/images/alice/tools/hello@${arm.hash}`)).json.data.id, arm.id);
    assert.equal((await call(lib.url, `/v1/images/alice/tools/hello@sha256.${'0'.repeat(64)}`)).status, 404);
  });

  it('hides a private collection from strangers (404) and shows it to its owner', async () => {
    for (const token of [undefined, bob.token]) {
      for (const path of [
        '/v1/collections/alice/secret',
        '/v1/containers/alice/secret/thing',
        '/v1/images/alice/secret/thing:latest',
        '/v1/imagefile/alice/secret/thing:latest',
      ]) {
        const r = await call(lib.url, path, { token });
        assert.equal(r.status, 404, `${path} as ${token ?? 'anonymous'}`);
      }
    }
    const own = await call(lib.url, '/v1/images/alice/secret/thing:latest', { token: alice.token });
    assert.equal(own.status, 200);
    assert.equal(own.json.data.id, secret.id);
    const bad = await call(lib.url, '/v1/images/alice/tools/hello:latest', { token: 'not-a-token' });
    assert.equal(bad.status, 401);
    assert.equal(bad.json.error.code, 401);
  });

  it('lists v1 and v2 tags', async () => {
    assert.deepEqual((await call(lib.url, `/v1/tags/${amd.containerId}`)).json.data, { latest: amd.id, v1: amd.id });
    assert.deepEqual((await call(lib.url, `/v2/tags/${amd.containerId}`)).json.data.arm64, { latest: arm.id });
  });

  it('searches names, hiding private collections from strangers, and can be switched off', async () => {
    const all = await call(lib.url, '/v1/search?value=hel');
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.json.data.container.map((c: { name: string }) => c.name),
      ['hello'],
    );
    assert.deepEqual(all.json.data.image.map((i: { id: string }) => i.id).sort(), [amd.id, arm.id].sort());
    assert.deepEqual(
      (await call(lib.url, '/v1/search?value=hello&arch=arm64')).json.data.image.map((i: { id: string }) => i.id),
      [arm.id],
    );
    assert.deepEqual((await call(lib.url, '/v1/search?value=thing')).json.data.container, []);
    assert.equal((await call(lib.url, '/v1/search?value=thing', { token: alice.token })).json.data.container.length, 1);
    assert.equal((await call(lib.url, '/v1/search?value=he')).status, 400);
    lib.configure({ search: false });
    try {
      const off = await call(lib.url, '/v1/search?value=hello');
      assert.equal(off.status, 404);
      assert.match(off.text, /Not Found/);
    } finally {
      lib.configure({ search: true });
    }
  });

  it('answers /v1/token-status: 200 for a known token, 401 otherwise, and can be switched off', async () => {
    const good = await call(lib.url, '/v1/token-status', { token: alice.token });
    assert.equal(good.status, 200);
    assert.deepEqual(good.json, { data: { username: 'alice' } });
    for (const token of [undefined, 'not-a-token']) {
      const r = await call(lib.url, '/v1/token-status', { token });
      assert.equal(r.status, 401, String(token));
      assert.equal(r.json.error.code, 401);
    }
    lib.configure({ tokenStatus: false });
    try {
      const off = await call(lib.url, '/v1/token-status', { token: alice.token });
      assert.equal(off.status, 404);
      assert.match(off.text, /Not Found/);
    } finally {
      lib.configure({ tokenStatus: true });
    }
  });

  it('records every request without the token', async () => {
    const before = lib.requests.length;
    await call(lib.url, '/v1/entities/alice', { token: alice.token, headers: { Cookie: 'session=s3cr3t' } });
    const rec = lib.requests[before];
    assert.ok(rec);
    assert.equal(rec.host, 'api');
    assert.equal(rec.method, 'GET');
    assert.equal(rec.path, '/v1/entities/alice');
    assert.equal(rec.authorization, true);
    assert.equal(rec.status, 200);
    const text = JSON.stringify(lib.requests);
    assert.ok(!text.includes(alice.token), 'token kept in the record');
    assert.ok(!text.includes('s3cr3t'), 'cookie kept in the record');
  });
});
