// feedFile against a real node:http server: a byte range arrives exactly (from an offset, across reused buffers,
// not a whole number of them), a streamed body ended early is still a complete request carrying a prefix of the
// range, and a file shorter than the range fails the request instead of sending a short body.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { feedFile } from '../src/file-feed';

const MiB = 1024 * 1024;

describe('feedFile', () => {
  let dir: string;
  let server: http.Server;
  let url: string;
  // what each request carried: the bytes, and whether it ended as a complete request
  const received: { bytes: Buffer; complete: boolean }[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oras-feed-'));
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ bytes: Buffer.concat(chunks), complete: true });
        res.end('ok');
      });
      req.on('aborted', () => received.push({ bytes: Buffer.concat(chunks), complete: false }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const send = (headers: Record<string, string>, feed: (req: http.ClientRequest) => void) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: 'PATCH', headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      feed(req);
    });

  test('a byte range arrives exactly, with progress up to its length', async () => {
    const file = path.join(dir, 'range.bin');
    const data = randomBytes(9 * MiB + 123);
    fs.writeFileSync(file, data);
    const start = 1000;
    const end = data.length - 77;
    const progress: number[] = [];
    const status = await send({ 'Content-Length': String(end - start) }, (req) =>
      feedFile(req, { file, start, end, onProgress: (n) => progress.push(n) }),
    );
    assert.equal(status, 200);
    const got = received.at(-1)!;
    assert.equal(got.complete, true);
    assert.ok(got.bytes.equals(data.subarray(start, end)), 'the same bytes in the same order');
    assert.equal(progress.at(-1), end - start);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i] > progress[i - 1]);
  });

  test('a streamed body ended early is a complete request with a prefix of the range', async () => {
    const file = path.join(dir, 'early.bin');
    const data = randomBytes(64 * MiB);
    fs.writeFileSync(file, data);
    const stop = new AbortController();
    let endedAt: number | undefined;
    const status = await send({}, (req) =>
      feedFile(req, {
        file,
        start: 0,
        end: data.length,
        onProgress: (n) => {
          if (n >= 2 * MiB) stop.abort();
        },
        endEarly: stop.signal,
        onEndedEarly: (n) => {
          endedAt = n;
        },
      }),
    );
    assert.equal(status, 200);
    const got = received.at(-1)!;
    assert.equal(got.complete, true, 'the server saw the end of the body');
    assert.ok(endedAt !== undefined && endedAt >= 2 * MiB && endedAt < data.length, `ended after ${endedAt} bytes`);
    assert.equal(got.bytes.length, endedAt, 'everything counted was sent');
    assert.ok(got.bytes.equals(data.subarray(0, got.bytes.length)));
  });

  test('a file shorter than the range fails the request', async () => {
    const file = path.join(dir, 'short.bin');
    fs.writeFileSync(file, randomBytes(3 * MiB));
    await assert.rejects(
      send({ 'Content-Length': String(5 * MiB) }, (req) => feedFile(req, { file, start: 0, end: 5 * MiB })),
      /short\.bin became shorter while it was sent/,
    );
  });
});
