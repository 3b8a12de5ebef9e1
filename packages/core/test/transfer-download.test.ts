import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isUserError, type UserError } from '../src/errors';
import { downloadToFile } from '../src/transfer/index';

const SECRET = '0b7bd5e2-7c7e-4d1e-9f6b-2b1d3c4a5e6f';
const DATA = randomBytes(3 * 1024 * 1024 + 12345);
const SHA256 = createHash('sha256').update(DATA).digest('hex');
const MD5 = createHash('md5').update(DATA).digest('hex');

interface Server {
  url: string;
  requests: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}

async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse, count: number) => void): Promise<Server> {
  const requests: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.headers);
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends DATA (or the asked Range of it when `ranges`), cutting the connection after `cutAt` bytes on the first `cuts` requests. */
function fileHandler(options: { ranges: boolean; cutAt?: number; cuts?: number; cleanClose?: boolean }) {
  return (req: http.IncomingMessage, res: http.ServerResponse, count: number) => {
    const match = options.ranges ? /^bytes=(\d+)-$/.exec(req.headers.range ?? '') : null;
    const start = match ? Number(match[1]) : 0;
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/img', 'Content-Length': DATA.length - start };
    if (options.ranges) {
      headers['Accept-Ranges'] = 'bytes';
      headers.ETag = '"v1"';
    }
    if (match) headers['Content-Range'] = `bytes ${start}-${DATA.length - 1}/${DATA.length}`;
    res.writeHead(match ? 206 : 200, headers);
    const body = DATA.subarray(start);
    if (options.cutAt !== undefined && count <= (options.cuts ?? 1)) {
      res.write(body.subarray(0, options.cutAt), () => {
        if (options.cleanClose) res.socket?.end();
        else res.socket?.destroy();
      });
      return;
    }
    res.end(body);
  };
}

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sreg-dl-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const dest = () => path.join(dir, `out-${++n}.sif`);

async function rejectsUser(promise: Promise<unknown>, check: (error: UserError) => void): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isUserError(error), `expected a UserError, got ${String(error)}`);
    check(error);
    return true;
  });
}

describe('downloadToFile', () => {
  test('streams the file, hashes sha256 and md5 in the same pass, reports progress, mode 0600', async () => {
    const server = await serve(fileHandler({ ranges: false }));
    try {
      const file = dest();
      const progress: Array<[number, number | undefined]> = [];
      const result = await downloadToFile({
        url: `${server.url}/x`,
        dest: file,
        hashes: ['sha256', 'md5'],
        onProgress: (d, t) => progress.push([d, t]),
      });
      assert.equal(result.size, DATA.length);
      assert.equal(result.sha256, SHA256);
      assert.equal(result.md5, MD5);
      assert.equal(result.contentType, 'application/img');
      assert.equal(result.attempts, 1);
      assert.equal(result.resumed, false);
      assert.ok(fs.readFileSync(file).equals(DATA));
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.deepEqual(progress.at(-1), [DATA.length, DATA.length]);
      for (let i = 1; i < progress.length; i++) assert.ok(progress[i]![0] >= progress[i - 1]![0]);
      // gzip would change the byte count and the digest: downloads ask for the raw bytes.
      assert.equal(server.requests[0]!['accept-encoding'], 'identity');
      assert.equal(server.requests[0]!.cookie, undefined);
    } finally {
      await server.close();
    }
  });

  test('md5 only when asked', async () => {
    const server = await serve(fileHandler({ ranges: false }));
    try {
      const result = await downloadToFile({ url: `${server.url}/x`, dest: dest() });
      assert.equal(result.sha256, SHA256);
      assert.equal(result.md5, undefined);
    } finally {
      await server.close();
    }
  });

  test('a body without Content-Length (chunked) is accepted', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.write(DATA.subarray(0, 1000));
      res.end(DATA.subarray(1000));
    });
    try {
      const progress: Array<number | undefined> = [];
      const result = await downloadToFile({ url: `${server.url}/x`, dest: dest(), onProgress: (_d, t) => progress.push(t) });
      assert.equal(result.size, DATA.length);
      assert.equal(result.sha256, SHA256);
      assert.ok(progress.every((t) => t === undefined));
    } finally {
      await server.close();
    }
  });

  test('follows redirects and drops Authorization when the origin changes', async () => {
    const storage = await serve(fileHandler({ ranges: false }));
    const registry = await serve((req, res) => {
      if (req.url === '/a') res.writeHead(302, { Location: '/b' }).end();
      else res.writeHead(307, { Location: `${storage.url}/signed?sig=abc` }).end();
    });
    try {
      const lines: string[] = [];
      const result = await downloadToFile({
        url: `${registry.url}/a`,
        dest: dest(),
        headers: { Authorization: 'Bearer sekrit-token' },
        debug: (line) => lines.push(line),
      });
      assert.equal(result.sha256, SHA256);
      assert.equal(registry.requests.length, 2);
      assert.equal(registry.requests[1]!.authorization, 'Bearer sekrit-token', 'same origin keeps the header');
      assert.equal(storage.requests.length, 1);
      assert.equal(storage.requests[0]!.authorization, undefined, 'another origin must not get the credentials');
      assert.ok(lines.length > 0);
      assert.ok(!lines.join('\n').includes('sekrit-token'));
      assert.ok(!lines.join('\n').includes('sig=abc'));
    } finally {
      await registry.close();
      await storage.close();
    }
  });

  test('too many redirects is a UserError and leaves no file', async () => {
    const server = await serve((_req, res) => res.writeHead(302, { Location: '/again' }).end());
    try {
      const file = dest();
      await rejectsUser(downloadToFile({ url: `${server.url}/x`, dest: file, maxRedirects: 3 }), (error) =>
        assert.equal(error.code, 'EREDIRECT'),
      );
      assert.equal(server.requests.length, 4);
      assert.equal(fs.existsSync(file), false);
    } finally {
      await server.close();
    }
  });

  test('a dropped connection is resumed with Range when the server supports it', async () => {
    const server = await serve(fileHandler({ ranges: true, cutAt: 1024 * 1024 + 7 }));
    try {
      const file = dest();
      const result = await downloadToFile({ url: `${server.url}/x`, dest: file, hashes: ['sha256', 'md5'], backoffMs: 1 });
      assert.equal(result.attempts, 2);
      assert.equal(result.resumed, true);
      assert.equal(server.requests.length, 2);
      assert.equal(server.requests[0]!.range, undefined);
      const resumedAt = Number(/^bytes=(\d+)-$/.exec(server.requests[1]!.range ?? '')?.[1]);
      assert.ok(resumedAt > 0 && resumedAt <= 1024 * 1024 + 7, `resumed at ${resumedAt}`);
      assert.equal(server.requests[1]!['if-range'], '"v1"');
      assert.equal(result.sha256, SHA256);
      assert.equal(result.md5, MD5);
      assert.ok(fs.readFileSync(file).equals(DATA));
    } finally {
      await server.close();
    }
  });

  test('a premature clean close is resumed too', async () => {
    const server = await serve(fileHandler({ ranges: true, cutAt: 500_000, cleanClose: true, cuts: 2 }));
    try {
      const file = dest();
      const result = await downloadToFile({ url: `${server.url}/x`, dest: file, backoffMs: 1 });
      assert.equal(result.attempts, 3);
      assert.equal(result.resumed, true);
      assert.equal(result.sha256, SHA256);
      assert.ok(fs.readFileSync(file).equals(DATA));
    } finally {
      await server.close();
    }
  });

  test('without Accept-Ranges a dropped download starts over from zero', async () => {
    const server = await serve(fileHandler({ ranges: false, cutAt: 2 * 1024 * 1024 }));
    try {
      const file = dest();
      const result = await downloadToFile({ url: `${server.url}/x`, dest: file, hashes: ['sha256', 'md5'], backoffMs: 1 });
      assert.equal(result.attempts, 2);
      assert.equal(result.resumed, false);
      assert.equal(server.requests[1]!.range, undefined);
      assert.equal(result.sha256, SHA256);
      assert.equal(result.md5, MD5);
      assert.ok(fs.readFileSync(file).equals(DATA));
    } finally {
      await server.close();
    }
  });

  test('a server that ignores Range (200 again) restarts cleanly', async () => {
    const server = await serve((_req, res, count) => {
      res.writeHead(200, { 'Content-Length': DATA.length, 'Accept-Ranges': 'bytes' });
      if (count === 1) res.write(DATA.subarray(0, 777_777), () => res.socket?.destroy());
      else res.end(DATA);
    });
    try {
      const file = dest();
      const result = await downloadToFile({ url: `${server.url}/x`, dest: file, backoffMs: 1 });
      assert.ok(server.requests[1]!.range, 'a Range was asked');
      assert.equal(result.resumed, false);
      assert.equal(result.sha256, SHA256);
      assert.ok(fs.readFileSync(file).equals(DATA));
    } finally {
      await server.close();
    }
  });

  test('a 206 with the wrong Content-Range is not spliced on', async () => {
    const server = await serve((req, res, count) => {
      if (count === 1) {
        res.writeHead(200, { 'Content-Length': DATA.length, 'Accept-Ranges': 'bytes' });
        res.write(DATA.subarray(0, 600_000), () => res.socket?.destroy());
      } else if (req.headers.range) {
        res.writeHead(206, { 'Content-Range': `bytes 0-99/${DATA.length}`, 'Content-Length': 100 }).end(DATA.subarray(0, 100));
      } else {
        res.writeHead(200, { 'Content-Length': DATA.length }).end(DATA);
      }
    });
    try {
      const file = dest();
      const result = await downloadToFile({ url: `${server.url}/x`, dest: file, backoffMs: 1 });
      assert.equal(result.sha256, SHA256);
      assert.ok(fs.readFileSync(file).equals(DATA));
      assert.equal(server.requests[2]!.range, undefined);
    } finally {
      await server.close();
    }
  });

  test('big files (hashed on a worker thread) keep exact digests across a resume and a restart', async () => {
    const big = Buffer.concat([DATA, randomBytes(17 * 1024 * 1024)]);
    const sha256 = createHash('sha256').update(big).digest('hex');
    const md5 = createHash('md5').update(big).digest('hex');
    const handler = (ranges: boolean) => (req: http.IncomingMessage, res: http.ServerResponse, count: number) => {
      const match = ranges ? /^bytes=(\d+)-$/.exec(req.headers.range ?? '') : null;
      const start = match ? Number(match[1]) : 0;
      const headers: http.OutgoingHttpHeaders = { 'Content-Length': big.length - start };
      if (ranges) headers['Accept-Ranges'] = 'bytes';
      if (match) headers['Content-Range'] = `bytes ${start}-${big.length - 1}/${big.length}`;
      res.writeHead(match ? 206 : 200, headers);
      if (count === 1) res.write(big.subarray(0, 9 * 1024 * 1024 + 5), () => res.socket?.destroy());
      else res.end(big.subarray(start));
    };
    for (const ranges of [true, false]) {
      const server = await serve(handler(ranges));
      try {
        const file = dest();
        const result = await downloadToFile({ url: `${server.url}/x`, dest: file, hashes: ['md5'], backoffMs: 1, hashInWorker: true });
        assert.equal(result.resumed, ranges);
        assert.equal(result.attempts, 2);
        assert.equal(result.sha256, sha256);
        assert.equal(result.md5, md5);
        assert.ok(fs.readFileSync(file).equals(big));
      } finally {
        await server.close();
      }
    }
  });

  test('5xx answers are retried with backoff until the file comes', async () => {
    const server = await serve((req, res, count) => {
      if (count <= 3) res.writeHead(count === 2 ? 502 : 503).end('busy');
      else fileHandler({ ranges: false })(req, res, count);
    });
    try {
      const started = Date.now();
      const result = await downloadToFile({ url: `${server.url}/x`, dest: dest(), backoffMs: 20 });
      assert.equal(result.attempts, 4);
      assert.equal(result.sha256, SHA256);
      assert.ok(Date.now() - started >= 20 + 40 + 80 - 5, 'exponential backoff between attempts');
    } finally {
      await server.close();
    }
  });

  test('503 with a negative Retry-After is retried with the usual backoff, not at once', async () => {
    const server = await serve((req, res, count) => {
      if (count <= 3) res.writeHead(503, { 'Retry-After': '-5' }).end('busy');
      else fileHandler({ ranges: false })(req, res, count);
    });
    try {
      const started = Date.now();
      const result = await downloadToFile({ url: `${server.url}/x`, dest: dest(), backoffMs: 50 });
      assert.equal(result.attempts, 4);
      assert.equal(server.requests.length, 4);
      assert.ok(Date.now() - started >= 50 + 100 + 200 - 5, `backed off (${Date.now() - started} ms)`);
    } finally {
      await server.close();
    }
  });

  test('5xx that never ends is a UserError naming the status; no file left', async () => {
    const server = await serve((_req, res) => res.writeHead(500).end('<html>boom</html>'));
    try {
      const file = dest();
      await rejectsUser(
        downloadToFile({ url: `${server.url}/containers/1/download/${SECRET}`, dest: file, retries: 2, backoffMs: 1 }),
        (error) => {
          assert.match(error.message, /HTTP 500/);
          assert.ok(!error.line.includes(SECRET));
        },
      );
      assert.equal(server.requests.length, 3);
      assert.equal(fs.existsSync(file), false);
    } finally {
      await server.close();
    }
  });

  test('a server that announces more than it sends ends in a UserError and removes the file', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': DATA.length + 1000 });
      res.write(DATA, () => res.socket?.end());
    });
    try {
      const file = dest();
      await rejectsUser(downloadToFile({ url: `${server.url}/x`, dest: file, retries: 2, backoffMs: 1 }), (error) => {
        assert.equal(error.code, 'ESIZE');
        assert.match(error.message, /cut short/);
        assert.match(error.message, new RegExp(`of ${DATA.length + 1000} bytes`));
      });
      assert.equal(server.requests.length, 3);
      assert.equal(fs.existsSync(file), false);
    } finally {
      await server.close();
    }
  });

  test('a size different from the one the service promised is refused', async () => {
    const server = await serve(fileHandler({ ranges: false }));
    try {
      const file = dest();
      await rejectsUser(downloadToFile({ url: `${server.url}/x`, dest: file, expectedSize: DATA.length - 1 }), (error) =>
        assert.equal(error.code, 'ESIZE'),
      );
      assert.equal(fs.existsSync(file), false);
      const ok = await downloadToFile({ url: `${server.url}/x`, dest: dest(), expectedSize: DATA.length });
      assert.equal(ok.size, DATA.length);
    } finally {
      await server.close();
    }
  });

  test('without Content-Length the promised size is still checked', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200);
      res.end(DATA);
    });
    try {
      const file = dest();
      await rejectsUser(downloadToFile({ url: `${server.url}/x`, dest: file, expectedSize: DATA.length + 1 }), (error) =>
        assert.equal(error.code, 'ESIZE'),
      );
      assert.equal(fs.existsSync(file), false);
    } finally {
      await server.close();
    }
  });

  test('an endless body without Content-Length stops at the promised size, in one line, and leaves no file', async () => {
    // well past the promise, yet small enough that a run without the cap ends (and fails) quickly
    const LIMIT = 24 * 1024 * 1024;
    let sent = 0;
    let closed = false;
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' }); // chunked: no length to stop at
      const chunk = Buffer.alloc(64 * 1024, 1);
      const more = () => {
        while (!closed && sent < LIMIT) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        if (!closed) res.end();
      };
      res.on('close', () => {
        closed = true;
      });
      more();
    });
    try {
      const file = dest();
      const promised = 1024 * 1024;
      await rejectsUser(
        downloadToFile({ url: `${server.url}/x`, dest: file, expectedSize: promised, retries: 2, backoffMs: 1 }),
        (error) => {
          assert.equal(error.code, 'ESIZE');
          assert.equal(error.line.includes('\n'), false);
          assert.match(error.message, new RegExp(`goes on past the ${promised} bytes the service announced`));
        },
      );
      assert.equal(fs.existsSync(file), false);
      assert.equal(server.requests.length, 1, 'refused, not retried');
      // the connection is dropped soon after the promise is passed (socket buffers hold a few MiB more)
      assert.ok(sent < LIMIT, `the server sent ${sent} bytes`);
    } finally {
      await server.close();
    }
  });

  test('404 and 403 are UserErrors without retries, secrets redacted, no file', async () => {
    const server = await serve((req, res) =>
      res.writeHead(req.url?.includes('forbidden') ? 403 : 404, { 'Content-Type': 'text/html' }).end('<h1>no</h1>'),
    );
    try {
      const file = dest();
      await rejectsUser(downloadToFile({ url: `${server.url}/containers/1/download/${SECRET}`, dest: file, backoffMs: 1 }), (error) => {
        assert.equal(error.code, 'ENOTFOUND');
        assert.match(error.message, /not found at the registry/);
        assert.match(error.message, /404/);
        assert.ok(!error.line.includes(SECRET));
        assert.ok(!error.line.includes('\n'));
      });
      assert.equal(fs.existsSync(file), false);
      await rejectsUser(downloadToFile({ url: `${server.url}/forbidden/${SECRET}`, dest: file, backoffMs: 1 }), (error) => {
        assert.equal(error.code, 'EPERM');
        assert.match(error.message, /permission denied/);
        assert.match(error.message, /403/);
        assert.ok(!error.line.includes(SECRET));
      });
      assert.equal(fs.existsSync(file), false);
      assert.equal(server.requests.length, 2);
    } finally {
      await server.close();
    }
  });

  test('429 with Retry-After is waited out', async () => {
    const server = await serve((req, res, count) => {
      if (count === 1) res.writeHead(429, { 'Retry-After': '1' }).end('429');
      else fileHandler({ ranges: false })(req, res, count);
    });
    try {
      const started = Date.now();
      const result = await downloadToFile({ url: `${server.url}/x`, dest: dest(), backoffMs: 1 });
      assert.equal(result.attempts, 2);
      assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
    } finally {
      await server.close();
    }
  });

  test('a Retry-After beyond the cap fails at once with a rate-limit error', async () => {
    const server = await serve((_req, res) => res.writeHead(429, { 'Retry-After': '3600' }).end());
    try {
      const file = dest();
      const started = Date.now();
      await rejectsUser(downloadToFile({ url: `${server.url}/x`, dest: file }), (error) => {
        assert.equal(error.code, 'ERATELIMIT');
        assert.match(error.message, /3600 s/);
      });
      assert.ok(Date.now() - started < 2000);
      assert.equal(fs.existsSync(file), false);
    } finally {
      await server.close();
    }
  });

  test('the abort signal stops the download and removes the file', async () => {
    let timer: NodeJS.Timeout | undefined;
    const controller = new AbortController();
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': DATA.length });
      res.write(DATA.subarray(0, 100_000));
      timer = setTimeout(() => res.end(DATA.subarray(100_000)), 5000);
    });
    try {
      const file = dest();
      // The last bytes before the stall are reported by the progress flush; the abort comes from there.
      const pending = downloadToFile({
        url: `${server.url}/x`,
        dest: file,
        signal: controller.signal,
        onProgress: (done) => {
          if (done === 100_000) controller.abort();
        },
      });
      await rejectsUser(pending, (error) => assert.equal(error.code, 'ECANCELLED'));
      assert.equal(fs.existsSync(file), false);
      assert.equal(server.requests.length, 1, 'an abort is not retried');
    } finally {
      clearTimeout(timer);
      await server.close();
    }
  });

  test('a stalled body is abandoned after timeoutMs', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': DATA.length });
      res.write(DATA.subarray(0, 1000));
    });
    try {
      const file = dest();
      const started = Date.now();
      await rejectsUser(downloadToFile({ url: `${server.url}/x`, dest: file, timeoutMs: 300, retries: 1, backoffMs: 1 }), (error) => {
        assert.equal(error.code, 'ETIMEOUT');
        assert.match(error.message, /no answer from http:\/\/127\.0\.0\.1:\d+/);
      });
      assert.ok(Date.now() - started < 3000);
      assert.equal(server.requests.length, 2);
      assert.equal(fs.existsSync(file), false);
    } finally {
      await server.close();
    }
  });

  test('a closed port is a one-line connection-refused UserError', async () => {
    const server = await serve(() => undefined);
    const url = server.url;
    await server.close();
    const file = dest();
    await rejectsUser(downloadToFile({ url: `${url}/x`, dest: file, backoffMs: 1 }), (error) => {
      assert.equal(error.message, `cannot reach ${url}: connection refused`);
      assert.equal(error.fix, 'check the base URL and that the registry is running');
    });
    assert.equal(fs.existsSync(file), false);
  });

  test('an unwritable destination is a UserError', async () => {
    await rejectsUser(downloadToFile({ url: 'http://127.0.0.1:9/x', dest: path.join(dir, 'missing-folder', 'x.sif') }), (error) => {
      assert.equal(error.code, 'EWRITE');
      assert.match(error.message, /ENOENT/);
    });
  });

  test('debug lines carry no secret', async () => {
    const server = await serve(fileHandler({ ranges: true, cutAt: 100_000 }));
    try {
      const lines: string[] = [];
      await downloadToFile({
        url: `http://user:pw@${server.url.slice('http://'.length)}/containers/1/download/${SECRET}?token=abc123`,
        dest: dest(),
        headers: { Authorization: 'SREGISTRY-HMAC-SHA256 Y3JlZHM=:deadbeef', Cookie: 'csrftoken=x' },
        debug: (line) => lines.push(line),
        backoffMs: 1,
      });
      const text = lines.join('\n');
      assert.ok(text.includes('***'));
      for (const secret of [SECRET, 'abc123', 'Y3JlZHM', 'deadbeef', 'pw@', 'csrftoken'])
        assert.ok(!text.includes(secret), `debug output leaks ${secret}`);
      assert.equal(server.requests[0]!.cookie, undefined, 'cookies are never sent');
    } finally {
      await server.close();
    }
  });
});

test('a small disk: an announced size that does not fit is refused up front, an unknown one before the reserve, a full one in one line', async (t) => {
  // a disk of 256 KiB for 3 MiB (mounting needs root; without it the case cannot be made here)
  const disk = fs.mkdtempSync(path.join(os.tmpdir(), 'sreg-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', disk], { stdio: 'ignore' });
  } catch {
    fs.rmSync(disk, { recursive: true, force: true });
    t.skip('mount not permitted');
    return;
  }
  let requests = 0;
  const server = await serve((req, res) => {
    requests++;
    if (req.url === '/endless') {
      // no Content-Length, and no end
      res.writeHead(200);
      const more = () => {
        while (res.write(DATA.subarray(0, 64 * 1024)));
      };
      res.on('drain', more);
      more();
      return;
    }
    res.writeHead(200, { 'Content-Length': String(DATA.length) });
    res.end(DATA);
  });
  const dest = path.join(disk, 'image.sif');
  try {
    // the service's size: refused before any request
    await rejectsUser(downloadToFile({ url: `${server.url}/img`, dest, expectedSize: DATA.length }), (error) => {
      assert.equal(error.code, 'ENOSPC');
      assert.match(
        error.message,
        /^the image from http:\/\/127\.0\.0\.1:\d+ is 3\.0 MiB, and the disk of .* has [\d.]+ KiB free \(12\.8 KiB of which is kept free\)$/,
      );
      assert.match(error.fix ?? '', /free some space there, or pull to another disk/);
    });
    assert.equal(requests, 0, 'nothing was asked for');
    // the answer's Content-Length: refused at the answer
    await rejectsUser(downloadToFile({ url: `${server.url}/img`, dest }), (error) => {
      assert.match(error.message, /^the image from .* is 3\.0 MiB, and the disk of /);
    });
    // no size at all: abandoned by the disk's reserve (the real statfs of the tmpfs), not by a full disk
    await rejectsUser(downloadToFile({ url: `${server.url}/endless`, dest }), (error) => {
      assert.equal(error.code, 'ENOSPC');
      assert.match(
        error.message,
        /^the download from .* announced no size and has sent [\d.]+ KiB so far: going on would leave less than 12\.8 KiB free on the disk of /,
      );
    });
    // a disk that fills anyway (statfs claims room: another writer, or a file system that misreports): one line
    const key = Symbol.for('sregistry.testing-hooks.disk-space');
    (globalThis as Record<symbol, unknown>)[key] = () => ({ free: 100 * 1024 * 1024 * 1024, size: 200 * 1024 * 1024 * 1024 });
    try {
      await rejectsUser(downloadToFile({ url: `${server.url}/img`, dest }), (error) => {
        assert.equal(error.code, 'ENOSPC');
        assert.equal(error.message, `no space left on the disk of ${disk}`);
        assert.match(error.fix ?? '', /free some space/);
      });
    } finally {
      delete (globalThis as Record<symbol, unknown>)[key];
    }
    assert.deepEqual(fs.readdirSync(disk), [], 'nothing half-written is left');
  } finally {
    await server.close();
    execFileSync('umount', ['-l', disk], { stdio: 'ignore' });
    fs.rmSync(disk, { recursive: true, force: true });
  }
});
