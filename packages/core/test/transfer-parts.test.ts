// Concurrent ranged downloads (`parts`) and raw file uploads (`uploadFile`), against real HTTP servers on
// 127.0.0.1: a redirect to another origin that serves ranges, parts that fail once, a server that ignores Range.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { isUserError } from '../src/errors';
import { downloadToFile, uploadFile } from '../src/transfer/index';
import { selfSignedCertificate } from './tls-helpers';

const PART = 64 * 1024;
const DATA = randomBytes(10 * PART + 4321);
const SHA256 = createHash('sha256').update(DATA).digest('hex');
const TOKEN = 'parts-test-token-5c1d';

interface Server {
  url: string;
  seen: { url: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** A server on 127.0.0.1; with `tls` (a key and a self-signed certificate) over https. */
async function serve(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  tls?: { key: Buffer; cert: Buffer },
): Promise<Server> {
  const seen: Server['seen'] = [];
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    handler(req, res);
  };
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Object storage: Range requests answered with 206; `failOnce` parts (by first byte) are cut the first time. */
function objectStore(options: { ranges?: boolean; failOnce?: Set<number> } = {}) {
  const failed = new Set<number>();
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!m || options.ranges === false) {
      res.writeHead(200, { 'Content-Length': DATA.length });
      res.end(DATA);
      return;
    }
    const first = Number(m[1]);
    const last = Math.min(Number(m[2]), DATA.length - 1);
    res.writeHead(206, {
      'Content-Length': last - first + 1,
      'Content-Range': `bytes ${first}-${last}/${DATA.length}`,
      'Accept-Ranges': 'bytes',
    });
    if (options.failOnce?.has(first) && !failed.has(first)) {
      failed.add(first);
      res.write(DATA.subarray(first, first + 100), () => res.socket?.destroy());
      return;
    }
    res.end(DATA.subarray(first, last + 1));
  };
}

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-parts-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a 303 to another origin that serves ranges: parts in parallel, in order, without the Authorization', async () => {
  const store = await serve(objectStore({ failOnce: new Set([3 * PART]) }));
  const api = await serve((_req, res) => {
    res.writeHead(303, { Location: `${store.url}/bucket/object?X-Amz-Signature=abc` });
    res.end();
  });
  try {
    const dest = path.join(dir, 'a.sif');
    const progress: number[] = [];
    const result = await downloadToFile({
      url: `${api.url}/v1/imagefile/e/c/n:latest`,
      dest,
      headers: { Authorization: `Bearer ${TOKEN}` },
      expectedSize: DATA.length,
      parts: { size: PART, concurrency: 3 },
      onProgress: (done) => progress.push(done),
      backoffMs: 10,
    });
    assert.equal(result.sha256, SHA256);
    assert.equal(result.size, DATA.length);
    assert.ok(fs.readFileSync(dest).equals(DATA));
    assert.equal(api.seen[0].headers.authorization, `Bearer ${TOKEN}`);
    assert.ok(store.seen.length >= 12, `11 parts and one retry, got ${store.seen.length} requests`);
    for (const r of store.seen) assert.equal(r.headers.authorization, undefined, 'the object host never sees the token');
    assert.ok(
      store.seen.every((r) => /^bytes=\d+-\d+$/.test(String(r.headers.range))),
      'every request to the store is a ranged one',
    );
    assert.equal(progress.at(-1), DATA.length);
  } finally {
    await Promise.all([store.close(), api.close()]);
  }
});

test('a server that ignores Range gets the plain streamed download', async () => {
  const store = await serve(objectStore({ ranges: false }));
  try {
    const dest = path.join(dir, 'b.sif');
    const result = await downloadToFile({ url: `${store.url}/x`, dest, parts: { size: PART, concurrency: 3 } });
    assert.equal(result.sha256, SHA256);
    assert.equal(store.seen.length, 2, 'the probe, then one plain GET');
  } finally {
    await store.close();
  }
});

test('a part answered with the wrong range fails in one line and leaves no file', async () => {
  const store = await serve((req, res) => {
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    const first = Number(m?.[1] ?? 0);
    // always sends the first part's range, whatever was asked
    res.writeHead(206, { 'Content-Length': PART, 'Content-Range': `bytes 0-${PART - 1}/${DATA.length}` });
    res.end(DATA.subarray(0, PART));
    void first;
  });
  try {
    const dest = path.join(dir, 'c.sif');
    await assert.rejects(
      downloadToFile({ url: `${store.url}/x`, dest, parts: { size: PART, concurrency: 2 } }),
      (error: unknown) => isUserError(error) && error.code === 'EBADANSWER' && !error.message.includes('\n'),
    );
    assert.equal(fs.existsSync(dest), false);
  } finally {
    await store.close();
  }
});

/** Object storage whose part at `at` (by first byte) is always answered with `length` bytes, Content-Length alike. */
function wrongLengthPart(at: number, length: (asked: number) => number) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    const first = Number(m?.[1] ?? 0);
    const last = Math.min(Number(m?.[2] ?? DATA.length - 1), DATA.length - 1);
    const sent = first === at ? length(last - first + 1) : last - first + 1;
    res.writeHead(206, { 'Content-Length': sent, 'Content-Range': `bytes ${first}-${last}/${DATA.length}` });
    res.end(Buffer.concat([DATA.subarray(first, last + 1), Buffer.alloc(Math.max(0, sent - (last - first + 1)))]).subarray(0, sent));
  };
}

test('a part that always ends short is asked again, then reported as the server’s size, not a cut connection', async () => {
  const store = await serve(wrongLengthPart(4 * PART, (asked) => asked - 1000));
  try {
    const dest = path.join(dir, 'short.sif');
    await assert.rejects(
      downloadToFile({ url: `${store.url}/x`, dest, parts: { size: PART, concurrency: 2 }, retries: 2, backoffMs: 5 }),
      (error: unknown) =>
        isUserError(error) &&
        error.code === 'ESIZE' &&
        /ended part 5 of 11 after 64536 of its 65536 bytes, 3 times$/.test(error.message) &&
        !error.message.includes('\n'),
    );
    assert.equal(
      store.seen.filter((r) => r.headers.range === `bytes=${4 * PART}-${5 * PART - 1}`).length,
      3,
      'the part was asked for 3 times',
    );
    assert.equal(fs.existsSync(dest), false);
  } finally {
    await store.close();
  }
});

test('a part answered with more bytes than its range is refused at once', async () => {
  const store = await serve(wrongLengthPart(2 * PART, (asked) => asked + 10));
  try {
    const dest = path.join(dir, 'long.sif');
    await assert.rejects(
      downloadToFile({ url: `${store.url}/x`, dest, parts: { size: PART, concurrency: 2 }, retries: 4, backoffMs: 5 }),
      (error: unknown) =>
        isUserError(error) && error.code === 'EBADANSWER' && /more than the 65536 bytes asked for in part 3/.test(error.message),
    );
    assert.equal(store.seen.filter((r) => r.headers.range === `bytes=${2 * PART}-${3 * PART - 1}`).length, 1, 'not asked again');
    assert.equal(fs.existsSync(dest), false);
  } finally {
    await store.close();
  }
});

test('a part answered 503 once is asked again, a part redirected is followed: exact, the headers of every part alike', async () => {
  const serveRange = objectStore();
  const answered = new Set<string>();
  const store = await serve((req, res) => {
    const range = String(req.headers.range);
    const [first] = /\d+/.exec(range) ?? ['0'];
    // the probe (first byte 0) is answered; then the fourth part gets one 503, the sixth one redirect
    if (Number(first) === 3 * PART && !answered.has(range)) {
      answered.add(range);
      res.writeHead(503, { 'Retry-After': '0' });
      return void res.end();
    }
    if (Number(first) === 5 * PART && !req.url?.includes('moved')) {
      res.writeHead(307, { Location: '/object?moved=1' });
      return void res.end();
    }
    serveRange(req, res);
  });
  try {
    const dest = path.join(dir, 'd.sif');
    const result = await downloadToFile({
      url: `${store.url}/object`,
      dest,
      headers: { 'X-Client': 'parts' },
      expectedSize: DATA.length,
      parts: { size: PART, concurrency: 3 },
      backoffMs: 1,
    });
    assert.equal(result.sha256, SHA256);
    assert.ok(fs.readFileSync(dest).equals(DATA));
    // 11 parts, the 503, and the redirect twice: the direct GET takes no redirect, axios's asks again and follows it
    assert.equal(store.seen.length, 14);
    assert.ok(
      store.seen.some((r) => r.url === '/object?moved=1'),
      'the redirect was followed',
    );
    for (const { headers } of store.seen) {
      assert.deepEqual(
        [headers['x-client'], headers['accept-encoding'], headers.connection, /^sregistry\//.test(String(headers['user-agent']))],
        ['parts', 'identity', 'close', true],
      );
    }
  } finally {
    await store.close();
  }
});

test('uploadFile streams a byte range of a file with an exact Content-Length and reports progress', async () => {
  const got: Buffer[] = [];
  const server = await serve((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push(Buffer.concat(chunks));
      res.writeHead(200, { ETag: '"etag-1"', 'Content-Type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  try {
    const file = path.join(dir, 'up.bin');
    fs.writeFileSync(file, DATA);
    let last = 0;
    const answer = await uploadFile<{ ok: boolean }>({
      url: `${server.url}/put?X-Amz-Signature=s`,
      file,
      start: PART,
      end: 3 * PART,
      headers: { 'x-amz-content-sha256': 'abc' },
      onProgress: (sent) => {
        last = sent;
      },
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.etag, '"etag-1"');
    assert.deepEqual(answer.data, { ok: true });
    assert.ok(got[0].equals(DATA.subarray(PART, 3 * PART)));
    assert.equal(server.seen[0].headers['content-length'], String(2 * PART));
    assert.equal(server.seen[0].headers['x-amz-content-sha256'], 'abc');
    assert.equal(last, 2 * PART);
    await assert.rejects(
      uploadFile({ url: `${server.url}/put`, file, start: 0, end: DATA.length + 1 }),
      (error: unknown) => isUserError(error) && error.code === 'EFILECHANGED',
    );
  } finally {
    await server.close();
  }
});

test('over https (axios streams, not the direct socket), hashed on threads: parts cut once are fetched again, exact', async () => {
  const tls = selfSignedCertificate(dir);
  const store = await serve(objectStore({ failOnce: new Set([0, 5 * PART]) }), tls);
  try {
    const dest = path.join(dir, 'd.sif');
    const result = await downloadToFile({
      url: `${store.url}/object`,
      dest,
      insecure: true,
      hashes: ['md5', 'sha256'],
      hashInWorker: true,
      parts: { size: PART, concurrency: 4 },
      backoffMs: 1,
    });
    assert.equal(result.sha256, SHA256);
    assert.equal(result.md5, createHash('md5').update(DATA).digest('hex'));
    assert.ok(fs.readFileSync(dest).equals(DATA));
    assert.ok(store.seen.length >= 13, `11 parts and two retries, got ${store.seen.length} requests`);
  } finally {
    await store.close();
  }
});
