// Memory must not grow with the file: a 256 MiB download and upload keep the process RSS within ~100 MB of
// where it started. Server and client share the process, and both stream. The ranged pull uses parts as big as
// a quarter of the file, all in flight at once: a part held whole in memory would take the whole file.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { downloadToFile, uploadMultipart } from '../src/transfer/index';

const SIZE = 256 * 1024 * 1024;
const LIMIT = 100 * 1024 * 1024;
const CHUNK = randomBytes(1024 * 1024);

async function serve(handler: http.RequestListener) {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Runs `work` while sampling RSS; returns the highest growth over the level before it started. */
async function rssGrowth(work: () => Promise<void>): Promise<number> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  return peak - base;
}

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sreg-mem-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('memory stays flat', () => {
  for (const hashInWorker of [false, true]) {
    test(`download of ${SIZE / 1024 / 1024} MiB, hashing ${hashInWorker ? 'on a worker thread' : 'inline'}`, async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'Content-Length': SIZE });
        let sent = 0;
        // Honour backpressure on the server side too, or the server would buffer the file.
        const pump = () => {
          while (sent < SIZE) {
            sent += CHUNK.length;
            if (!res.write(CHUNK)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      });
      const expected = createHash('sha256');
      for (let i = 0; i < SIZE / CHUNK.length; i++) expected.update(CHUNK);
      try {
        const dest = path.join(dir, 'big.sif');
        let result: Awaited<ReturnType<typeof downloadToFile>> | undefined;
        const growth = await rssGrowth(async () => {
          result = await downloadToFile({ url: `${server.url}/big`, dest, hashInWorker });
        });
        assert.equal(result?.size, SIZE);
        assert.equal(result?.sha256, expected.digest('hex'));
        assert.equal(fs.statSync(dest).size, SIZE);
        assert.ok(growth < LIMIT, `RSS grew by ${(growth / 1024 / 1024).toFixed(1)} MiB`);
        fs.rmSync(dest);
      } finally {
        await server.close();
      }
    });
  }

  test(`ranged download of ${SIZE / 1024 / 1024} MiB in 4 parts of 64 MiB at once`, async () => {
    const server = await serve((req, res) => {
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      assert.ok(m, 'every request is a Range request');
      const first = Number(m[1]);
      const last = Math.min(Number(m[2]), SIZE - 1);
      res.writeHead(206, { 'Content-Length': last - first + 1, 'Content-Range': `bytes ${first}-${last}/${SIZE}` });
      let at = first;
      const pump = () => {
        while (at <= last) {
          const piece = CHUNK.subarray(at % CHUNK.length, Math.min(CHUNK.length, (at % CHUNK.length) + last + 1 - at));
          at += piece.length;
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const expected = createHash('sha256');
    for (let i = 0; i < SIZE / CHUNK.length; i++) expected.update(CHUNK);
    try {
      const dest = path.join(dir, 'ranged.sif');
      let result: Awaited<ReturnType<typeof downloadToFile>> | undefined;
      const growth = await rssGrowth(async () => {
        result = await downloadToFile({ url: `${server.url}/big`, dest, expectedSize: SIZE, parts: { size: SIZE / 4, concurrency: 4 } });
      });
      assert.equal(result?.size, SIZE);
      assert.equal(result?.sha256, expected.digest('hex'));
      assert.equal(fs.statSync(dest).size, SIZE);
      assert.ok(growth < LIMIT, `RSS grew by ${(growth / 1024 / 1024).toFixed(1)} MiB`);
      fs.rmSync(dest);
    } finally {
      await server.close();
    }
  });

  test(`upload of a ${SIZE / 1024 / 1024} MiB sparse file`, async () => {
    let received = 0;
    const server = await serve((req, res) => {
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      req.on('end', () =>
        res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ received, declared: Number(req.headers['content-length']) })),
      );
    });
    const file = path.join(dir, 'sparse.sif');
    fs.closeSync(fs.openSync(file, 'w'));
    fs.truncateSync(file, SIZE);
    try {
      let answer: { received: number; declared: number } | undefined;
      let lastProgress = 0;
      const growth = await rssGrowth(async () => {
        const response = await uploadMultipart<{ received: number; declared: number }>({
          url: `${server.url}/upload`,
          fields: [{ name: 'name', value: 'big' }],
          file: { field: 'file1', path: file, filename: 'big.sif' },
          onProgress: (sent) => {
            lastProgress = sent;
          },
        });
        answer = response.data;
      });
      assert.ok(answer && answer.received > SIZE);
      assert.equal(answer.received, answer.declared);
      assert.equal(lastProgress, answer.declared);
      assert.ok(growth < LIMIT, `RSS grew by ${(growth / 1024 / 1024).toFixed(1)} MiB`);
    } finally {
      await server.close();
    }
  });
});
