// nock helpers for rare registry answers. nock must not be loaded (it patches node:http) until a test asks.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, describe, it } from 'node:test';
import * as testkit from '../src/index';

const nockLoaded = () => Object.keys(require.cache).some((k) => /[\\/]nock[\\/]index\.js$/.test(k));

describe('nockRegistry', () => {
  const base = 'http://registry.nock.test';

  it('is not loaded by importing the testkit', () => {
    assert.equal(typeof testkit.nockRegistry, 'function');
    assert.equal(nockLoaded(), false);
  });

  after(() => {
    (require('nock') as typeof import('nock')).cleanAll();
  });

  it('answers a manifest, a bare-number 200 and an HTML page', async () => {
    const reg = testkit
      .nockRegistry(`${base}/api`)
      .manifest('vanessa', 'tacos', 'latest', { id: 1, image: `${base}/containers/1/download/s` })
      .bareNumber('/api/container/dinosaur/secret:latest', 400)
      .html('/api/collection/private', 500);
    assert.equal(nockLoaded(), true);
    const m = await fetch(`${base}/api/container/vanessa/tacos:latest`);
    assert.deepEqual(await m.json(), { id: 1, image: `${base}/containers/1/download/s` });
    const bare = await fetch(`${base}/api/container/dinosaur/secret:latest`);
    assert.equal(bare.status, 200);
    assert.equal(await bare.json(), 400);
    const html = await fetch(`${base}/api/collection/private`);
    assert.equal(html.status, 500);
    assert.match(html.headers.get('content-type') ?? '', /text\/html/);
    reg.done();
  });

  it('drops the connection with a real Error whose code is ECONNRESET', async () => {
    testkit.nockRegistry(base).dropConnection('/containers/1/download/s');
    const err = await new Promise<unknown>((resolve) => {
      request(`${base}/containers/1/download/s`, () => resolve(undefined))
        .on('error', resolve)
        .end();
    });
    assert.ok(err instanceof Error);
    assert.equal((err as NodeJS.ErrnoException).code, 'ECONNRESET');
  });

  it('throttles and refuses a push the way the server does', async () => {
    const reg = testkit.nockRegistry(base).throttled('/api/collections/', 1).pushRefused();
    const t = await fetch(`${base}/api/collections/`);
    assert.equal(t.status, 429);
    assert.deepEqual(await t.json(), { detail: 'Request was throttled. Expected available in 1 second.' });
    assert.equal(t.headers.get('retry-after'), '1');
    const p = await fetch(`${base}/api/upload/chunked_upload`, { method: 'POST', body: '{}' });
    assert.equal(p.status, 500);
    assert.equal(reg.isDone(), true);
  });

  it('keeps a path prefix of the base', async () => {
    testkit.nockRegistry(`${base}/registry/api/`).bareNumber('/api/container/a/b:c', 429);
    assert.equal(await (await fetch(`${base}/registry/api/container/a/b:c`)).text(), '429');
  });
});
