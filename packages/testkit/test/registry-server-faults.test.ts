// Fault injection: dropped downloads, 5xx bursts, delays, a skewed server clock, the DRF throttle, a lying
// Content-Length and HTML where JSON belongs — the failures a client must survive.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { signRequest } from '../src/registry-server/hmac';
import { startRegistryServer } from '../src/registry-server/server';
import type { RegistryServerHandle } from '../src/registry-server/types';

const dino = { username: 'dinosaur', token: 'd'.repeat(40) };
const SIZE = 200_000;

interface RawDownload {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  received: number;
  error?: string;
}

/** Counts body bytes with node:http, reporting how the exchange ended (first error seen) instead of throwing. */
function rawDownload(url: string): Promise<RawDownload> {
  return new Promise((resolve) => {
    let error: string | undefined;
    const note = (err: Error) => {
      error ??= (err as NodeJS.ErrnoException).code ?? err.message;
    };
    let responded = false;
    const req = request(url, (res) => {
      responded = true;
      let received = 0;
      res.on('data', (c: Buffer) => (received += c.length));
      res.on('error', note);
      res.on('close', () => setImmediate(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, received, error })));
    });
    req.on('error', (err) => {
      note(err);
      if (!responded) resolve({ status: 0, headers: {}, received: 0, error });
    });
    req.end();
  });
}

describe('fault injection', () => {
  let reg: RegistryServerHandle;
  const image = () => reg.containers().find((c) => c.name === 'tacos')?.image as string;
  before(async () => {
    reg = await startRegistryServer({
      users: [dino],
      seed: [
        { name: 'vanessa', owners: ['dinosaur'], containers: [{ name: 'tacos', file: SIZE }] },
        { name: 'dinosaur', private: true, owners: ['dinosaur'], containers: [{ name: 'secret', file: 10 }] },
      ],
    });
  });
  after(() => reg.close());

  it('dropAfterBytes cuts the body after N bytes for the next `dropTimes` downloads, then recovers', async () => {
    reg.setFaults({ dropAfterBytes: 1000, dropTimes: 2 });
    for (let i = 0; i < 2; i++) {
      const cut = await rawDownload(image());
      assert.equal(cut.status, 200);
      assert.equal(cut.headers['content-length'], String(SIZE));
      assert.equal(cut.received, 1000);
      assert.equal(cut.error, 'ECONNRESET');
    }
    const whole = await rawDownload(image());
    assert.equal(whole.received, SIZE);
    assert.equal(whole.error, undefined);
    reg.setFaults({});
  });

  it('failTimes answers the next N matching requests with the status, then behaves', async () => {
    reg.setFaults({ failTimes: { status: 503, times: 2, pathPrefix: '/api/' } });
    assert.equal((await fetch(image(), { method: 'HEAD' })).status, 200); // not under the prefix
    const first = await fetch(`${reg.url}/api/collections/`);
    assert.equal(first.status, 503);
    assert.match(await first.text(), /nginx/);
    assert.equal((await fetch(`${reg.url}/api/collections/`)).status, 503);
    assert.equal((await fetch(`${reg.url}/api/collections/`)).status, 200);
    reg.setFaults({ failTimes: { status: 500, times: 1 } });
    assert.equal((await fetch(image())).status, 500);
    assert.equal((await fetch(image())).status, 200);
    reg.setFaults({});
  });

  it('delayMs holds every answer back', async () => {
    reg.setFaults({ delayMs: 150 });
    const start = Date.now();
    await fetch(`${reg.url}/api/registry/identity`);
    assert.ok(Date.now() - start >= 140);
    reg.setFaults({});
  });

  it('clockOffsetMs makes a correctly signed request fail unless the signer shares the skew', async () => {
    reg.setFaults({ clockOffsetMs: 2 * 3600_000 });
    const url = `${reg.url}/api/container/dinosaur/secret:latest`;
    const now = signRequest('pull', { ...dino, collection: 'dinosaur', name: 'secret' });
    assert.equal(await (await fetch(url, { headers: { Authorization: now } })).text(), '400');
    const skewed = signRequest('pull', { ...dino, collection: 'dinosaur', name: 'secret', date: new Date(Date.now() + 2 * 3600_000) });
    assert.equal((await fetch(url, { headers: { Authorization: skewed } })).status, 200);
    assert.notEqual(await (await fetch(url, { headers: { Authorization: skewed } })).text(), '400');
    const push = await fetch(`${reg.url}/api/upload/chunked_upload`, {
      method: 'POST',
      headers: { Authorization: signRequest('push', { ...dino, collection: 'vanessa', name: 'x' }) },
      body: JSON.stringify({ collection: 'vanessa', name: 'x' }),
    });
    assert.equal(push.status, 500);
    reg.setFaults({});
  });

  it('throttleAfter lets N anonymous DRF requests through, then 429 with the DRF detail', async () => {
    reg.setFaults({ throttleAfter: 2 });
    assert.equal((await fetch(`${reg.url}/api/collections/`)).status, 200);
    assert.equal((await fetch(`${reg.url}/api/container/vanessa/tacos:latest`)).status, 200);
    const limited = await fetch(`${reg.url}/api/collections/`);
    assert.equal(limited.status, 429);
    const { detail } = (await limited.json()) as { detail: string };
    assert.match(detail, /^Request was throttled\. Expected available in \d+ seconds\.$/);
    assert.ok(Number(limited.headers.get('retry-after')) > 86_000);
    // HMAC-signed requests are still anonymous to DRF; a DRF Token header is not; downloads are not DRF views.
    const signed = signRequest('pull', { ...dino, collection: 'dinosaur', name: 'secret' });
    assert.equal((await fetch(`${reg.url}/api/container/dinosaur/secret:latest`, { headers: { Authorization: signed } })).status, 429);
    assert.equal((await fetch(`${reg.url}/api/collections/`, { headers: { Authorization: `Token ${dino.token}` } })).status, 200);
    assert.equal((await fetch(image(), { method: 'HEAD' })).status, 200);
    reg.setFaults({});
    assert.equal((await fetch(`${reg.url}/api/collections/`)).status, 200);
  });

  it('wrongContentLength advertises a wrong size and kills the connection', async () => {
    reg.setFaults({ wrongContentLength: true });
    const over = await rawDownload(image());
    assert.equal(over.headers['content-length'], String(SIZE + 1));
    assert.equal(over.received, SIZE);
    assert.ok(over.error, 'the short body must end in an error');
    reg.setFaults({ wrongContentLength: 100 });
    const under = await rawDownload(image());
    assert.equal(under.headers['content-length'], '100');
    assert.equal(under.received, 100);
    assert.equal(under.error, 'HPE_INVALID_CONSTANT'); // the rest of the file arrives where the next response should be
    reg.setFaults({});
  });

  it('htmlInsteadOfJson turns JSON answers into 200 HTML pages', async () => {
    reg.setFaults({ htmlInsteadOfJson: true });
    const res = await fetch(`${reg.url}/api/container/vanessa/tacos:latest`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await res.text(), /<html>/);
    reg.setFaults({});
    assert.match((await fetch(`${reg.url}/api/container/vanessa/tacos:latest`)).headers.get('content-type') ?? '', /application\/json/);
  });
});
