import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { isUserError, type UserError } from '../src/errors';
import { requestJson } from '../src/transfer/index';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function serve(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, count: number) => void,
  tls?: { key: string; cert: string },
) {
  const seen: Seen[] = [];
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      handler(req, res, seen.length);
    });
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

const json = (res: http.ServerResponse, status: number, body: string, headers: http.OutgoingHttpHeaders = {}) =>
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(body);

async function rejectsUser(promise: Promise<unknown>, check: (error: UserError) => void): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isUserError(error), `expected a UserError, got ${String(error)}`);
    assert.ok(!error.line.includes('\n'), 'one line');
    check(error);
    return true;
  });
}

describe('requestJson: bodies', () => {
  test('bare numbers like 400 and 429 are JSON (sregistry sends them with HTTP 200)', async () => {
    const server = await serve((req, res) =>
      req.url === '/a' ? json(res, 200, '400') : res.writeHead(200, { 'Content-Type': 'text/html' }).end('429\n'),
    );
    try {
      const a = await requestJson<number>({ url: `${server.url}/a` });
      assert.equal(a.status, 200);
      assert.equal(a.isJson, true);
      assert.equal(a.data, 400);
      assert.equal(a.text, '400');
      const b = await requestJson<number>({ url: `${server.url}/b` });
      assert.equal(b.isJson, true);
      assert.equal(b.data, 429);
    } finally {
      await server.close();
    }
  });

  test('{} and objects parse; headers come back lower-cased', async () => {
    const server = await serve((req, res) => json(res, 200, req.url === '/empty' ? '{}' : '{"cid": 7}', { 'X-Thing': 'yes' }));
    try {
      const empty = await requestJson({ url: `${server.url}/empty` });
      assert.equal(empty.isJson, true);
      assert.deepEqual(empty.data, {});
      const full = await requestJson<{ cid: number }>({ url: `${server.url}/full` });
      assert.equal(full.data?.cid, 7);
      assert.equal(full.headers['x-thing'], 'yes');
      assert.equal(full.statusText, 'OK');
    } finally {
      await server.close();
    }
  });

  test('an HTML error page is text, not JSON, and no status throws', async () => {
    const page = '<!DOCTYPE html><html><body><h1>Server Error (500)</h1></body></html>';
    const server = await serve((_req, res) => res.writeHead(500, { 'Content-Type': 'text/html' }).end(page));
    try {
      const answer = await requestJson({ url: `${server.url}/x`, method: 'POST', json: {} });
      assert.equal(answer.status, 500);
      assert.equal(answer.isJson, false);
      assert.equal(answer.data, undefined);
      assert.equal(answer.text, page);
    } finally {
      await server.close();
    }
  });

  test('an empty body is not JSON; text is capped at 64 KiB while data is complete', async () => {
    const big = JSON.stringify({ items: 'x'.repeat(100_000) });
    const server = await serve((req, res) => (req.url === '/empty' ? res.writeHead(204).end() : json(res, 200, big)));
    try {
      const empty = await requestJson({ url: `${server.url}/empty`, method: 'DELETE' });
      assert.equal(empty.status, 204);
      assert.equal(empty.isJson, false);
      assert.equal(empty.text, '');
      const large = await requestJson<{ items: string }>({ url: `${server.url}/big` });
      assert.equal(large.data?.items.length, 100_000);
      assert.equal(large.text.length, 64 * 1024);
    } finally {
      await server.close();
    }
  });
});

describe('requestJson: requests', () => {
  test('a JSON body is sent with its Content-Type; cookies never; our User-Agent', async () => {
    const server = await serve((_req, res) => json(res, 200, '{"cid":1}'));
    try {
      await requestJson({
        url: `${server.url}/api/upload/chunked_upload`,
        method: 'POST',
        json: { collection: 'c', name: 'n', tag: 't' },
        headers: { Authorization: 'SREGISTRY-HMAC-SHA256 x', cookie: 'csrftoken=abc' },
      });
      const [request] = server.seen;
      assert.equal(request!.method, 'POST');
      assert.equal(request!.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(request!.body), { collection: 'c', name: 'n', tag: 't' });
      assert.equal(request!.headers.authorization, 'SREGISTRY-HMAC-SHA256 x');
      assert.equal(request!.headers.cookie, undefined);
      assert.match(request!.headers['user-agent'] ?? '', /^sregistry\//);
    } finally {
      await server.close();
    }
  });

  test('GET follows redirects; POST gets the 3xx back', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/old') res.writeHead(301, { Location: '/new' }).end();
      else if (req.url === '/post') res.writeHead(302, { Location: '/collections' }).end();
      else json(res, 200, '{"ok":true}');
    });
    try {
      const get = await requestJson<{ ok: boolean }>({ url: `${server.url}/old` });
      assert.equal(get.status, 200);
      assert.equal(get.data?.ok, true);
      const post = await requestJson({ url: `${server.url}/post`, method: 'POST', json: {} });
      assert.equal(post.status, 302);
      assert.equal(post.headers.location, '/collections');
      assert.equal(server.seen.filter((s) => s.url === '/collections').length, 0);
    } finally {
      await server.close();
    }
  });
});

describe('requestJson: retries', () => {
  test('GET is retried on 502/503/504 until it succeeds', async () => {
    const server = await serve((_req, res, count) =>
      count <= 3 ? res.writeHead([502, 503, 504][count - 1]!).end() : json(res, 200, '[]'),
    );
    try {
      const answer = await requestJson({ url: `${server.url}/x`, retries: 3, backoffMs: 5 });
      assert.equal(answer.status, 200);
      assert.equal(server.seen.length, 4);
    } finally {
      await server.close();
    }
  });

  test('retries run out: the last answer is returned', async () => {
    const server = await serve((_req, res) => res.writeHead(503).end('down'));
    try {
      const answer = await requestJson({ url: `${server.url}/x`, retries: 2, backoffMs: 1 });
      assert.equal(answer.status, 503);
      assert.equal(server.seen.length, 3);
    } finally {
      await server.close();
    }
  });

  test('a negative or junk Retry-After on 503 is ignored: the usual backoff, not a retry storm', async () => {
    for (const value of ['-5', 'soon', 'Sun, 06 Nov 1994 08:49:37 GMT']) {
      const server = await serve((_req, res) => res.writeHead(503, { 'Retry-After': value }).end('down'));
      try {
        const started = Date.now();
        const answer = await requestJson({ url: `${server.url}/x`, retries: 2, backoffMs: 100 });
        assert.equal(answer.status, 503);
        assert.equal(server.seen.length, 3);
        assert.ok(Date.now() - started >= 100 + 200 - 5, `${value}: backed off (${Date.now() - started} ms)`);
      } finally {
        await server.close();
      }
    }
  });

  test('POST is never retried', async () => {
    const server = await serve((_req, res) => res.writeHead(503).end());
    try {
      const answer = await requestJson({ url: `${server.url}/x`, method: 'POST', json: {}, retries: 3, backoffMs: 1 });
      assert.equal(answer.status, 503);
      assert.equal(server.seen.length, 1);
    } finally {
      await server.close();
    }
  });

  test('429 is retried after Retry-After; without it, or beyond the cap, it is returned', async () => {
    const server = await serve((req, res, count) => {
      if (req.url === '/wait') return count === 1 ? res.writeHead(429, { 'Retry-After': '1' }).end() : json(res, 200, '1');
      if (req.url === '/plain') return res.writeHead(429).end();
      return res.writeHead(429, { 'Retry-After': '120' }).end();
    });
    try {
      const started = Date.now();
      const waited = await requestJson({ url: `${server.url}/wait` });
      assert.equal(waited.status, 200);
      assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
      const plain = await requestJson({ url: `${server.url}/plain` });
      assert.equal(plain.status, 429);
      const long = Date.now();
      const capped = await requestJson({ url: `${server.url}/long`, maxRetryAfterMs: 5000 });
      assert.equal(capped.status, 429);
      assert.ok(Date.now() - long < 1000);
      assert.equal(server.seen.filter((s) => s.url === '/plain').length, 1);
      assert.equal(server.seen.filter((s) => s.url === '/long').length, 1);
    } finally {
      await server.close();
    }
  });

  test('a reset connection is retried for GET but not for POST', async () => {
    const server = await serve((req, res, count) => (count === 1 || req.method === 'POST' ? req.socket.destroy() : json(res, 200, '"ok"')));
    try {
      const get = await requestJson({ url: `${server.url}/x`, backoffMs: 1 });
      assert.equal(get.data, 'ok');
      await rejectsUser(requestJson({ url: `${server.url}/x`, method: 'POST', json: {} }), (error) => {
        assert.equal(error.code, 'ENETWORK');
        assert.match(error.message, /closed/);
      });
      assert.equal(server.seen.length, 3);
    } finally {
      await server.close();
    }
  });
});

describe('requestJson: failures are one-line UserErrors', () => {
  test('connection refused', async () => {
    const server = await serve(() => undefined);
    await server.close();
    const started = Date.now();
    await rejectsUser(requestJson({ url: `${server.url}/api/collections/` }), (error) => {
      assert.equal(error.message, `cannot reach ${server.url}: connection refused`);
      assert.equal(error.fix, 'check the base URL and that the registry is running');
      assert.equal(error.line, `cannot reach ${server.url}: connection refused; check the base URL and that the registry is running`);
    });
    assert.ok(Date.now() - started < 1000, 'a refused first connection is not retried');
  });

  test('timeout', async () => {
    const server = await serve(() => undefined);
    try {
      await rejectsUser(requestJson({ url: `${server.url}/x`, timeoutMs: 200, retries: 1, backoffMs: 1 }), (error) => {
        assert.equal(error.code, 'ETIMEOUT');
        assert.match(error.message, /^no answer from http:\/\/127\.0\.0\.1:\d+ within 200 ms \(gave up after \d+ ms, 2 attempts\)$/);
      });
      assert.equal(server.seen.length, 2);
    } finally {
      await server.close();
    }
  });

  test('abort', async () => {
    const server = await serve(() => undefined);
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      await rejectsUser(requestJson({ url: `${server.url}/x`, signal: controller.signal }), (error) =>
        assert.equal(error.code, 'ECANCELLED'),
      );
    } finally {
      await server.close();
    }
  });

  test('an invalid URL', async () => {
    await rejectsUser(requestJson({ url: 'not a url/0b7bd5e27c7e4d1e9f6b2b1d3c4a5e6f' }), (error) => {
      assert.equal(error.code, 'EBADURL');
      assert.ok(!error.message.includes('0b7bd5e27c7e4d1e9f6b2b1d3c4a5e6f'));
    });
    await rejectsUser(requestJson({ url: 'ftp://example.com/x' }), (error) => assert.equal(error.code, 'EBADURL'));
  });
});

describe('requestJson over plain http, sent without axios (direct-send.ts), reads answers as axios did', () => {
  const body = JSON.stringify({ name: 'tacos', tags: Array.from({ length: 50 }, (_, i) => `v${i}`) });
  const codings: Record<string, { header: string; encode: (bytes: Buffer) => Buffer }> = {
    gzip: { header: 'gzip', encode: (bytes) => zlib.gzipSync(bytes) },
    deflate: { header: 'deflate', encode: (bytes) => zlib.deflateSync(bytes) },
    'raw-deflate': { header: 'deflate', encode: (bytes) => zlib.deflateRawSync(bytes) },
    br: { header: 'br', encode: (bytes) => zlib.brotliCompressSync(bytes) },
  };

  test('compressed answers are decoded (gzip, deflate raw or wrapped, br), and asked for as axios asks', async () => {
    const server = await serve((req, res) => {
      const coding = codings[(req.url ?? '').slice(1)]!;
      const encoded = coding.encode(Buffer.from(body));
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': coding.header }).end(encoded);
    });
    try {
      for (const name of Object.keys(codings)) {
        const answer = await requestJson({ url: `${server.url}/${name}` });
        assert.deepEqual(answer.data, JSON.parse(body), name);
        assert.equal(answer.headers['content-encoding'], undefined, 'the body is no longer encoded');
      }
      assert.deepEqual(
        server.seen.map((seen) => seen.headers['accept-encoding']),
        Object.keys(codings).map(() => 'gzip, deflate, br'),
      );
    } finally {
      await server.close();
    }
  });

  test('an answer larger than 64 MiB is refused, also one that only grows that large when decoded', async () => {
    const MiB = Buffer.alloc(1024 * 1024, 0x20);
    const bomb = zlib.gzipSync(Buffer.alloc(65 * 1024 * 1024, 0x20));
    const server = await serve((req, res) => {
      res.on('error', () => undefined);
      if (req.url === '/bomb') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }).end(bomb);
        return;
      }
      // chunked, without end: only the client's limit stops it
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const more = () => {
        while (!res.destroyed && res.write(MiB));
      };
      res.on('drain', more);
      more();
    });
    try {
      for (const url of [`${server.url}/endless`, `${server.url}/bomb`]) {
        await rejectsUser(requestJson({ url }), (error) => {
          assert.equal(error.code, 'ETOOLARGE', url);
          assert.equal(error.message, `the answer from ${server.url} is larger than 64 MiB`);
        });
      }
    } finally {
      await server.close();
    }
  });

  test('a body that stops coming halfway is a timeout, retried like a head that never comes', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 100 });
      res.write('{"name": "tac');
    });
    try {
      const started = Date.now();
      await rejectsUser(requestJson({ url: `${server.url}/x`, timeoutMs: 200, retries: 1, backoffMs: 1 }), (error) => {
        assert.equal(error.code, 'ETIMEOUT');
      });
      assert.equal(server.seen.length, 2);
      assert.ok(Date.now() - started < 5000, 'the idle timeout, not the speed floor, ended it');
    } finally {
      await server.close();
    }
  });

  test('an abort stops a body in progress', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 100 });
      res.write('{"name": "tac');
    });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      await rejectsUser(requestJson({ url: `${server.url}/x`, signal: controller.signal }), (error) =>
        assert.equal(error.code, 'ECANCELLED'),
      );
    } finally {
      await server.close();
    }
  });
});

describe('requestJson: TLS', () => {
  let tls: { key: string; cert: string } | undefined;
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sreg-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          path.join(dir, 'key.pem'),
          '-out',
          path.join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      tls = { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
    } catch {
      tls = undefined;
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a self-signed certificate is refused with a fix; insecure accepts it', async (t) => {
    if (!tls) return t.skip('openssl is not available');
    const server = await serve((_req, res) => json(res, 200, '{"ok":1}'), tls);
    try {
      await rejectsUser(requestJson({ url: `${server.url}/x` }), (error) => {
        assert.equal(error.code, 'ETLS');
        assert.match(error.message, /not trusted/);
        assert.match(error.fix ?? '', /SREGISTRY_HTTPS_NOVERIFY=yes/);
        assert.match(error.fix ?? '', /only for testing/);
      });
      const answer = await requestJson<{ ok: number }>({ url: `${server.url}/x`, insecure: true });
      assert.equal(answer.data?.ok, 1);
    } finally {
      await server.close();
    }
  });

  test('https to a plain http port is a TLS handshake error', async () => {
    const server = await serve((_req, res) => json(res, 200, '{}'));
    try {
      await rejectsUser(requestJson({ url: server.url.replace('http:', 'https:'), retries: 0 }), (error) => {
        assert.equal(error.code, 'ETLS');
        assert.match(error.fix ?? '', /http:\/\/ or https:\/\//);
      });
    } finally {
      await server.close();
    }
  });

  test('a redirect from https to plain http is refused, and names the NOHTTPS setting the backend gave', async (t) => {
    if (!tls) return t.skip('openssl is not available');
    const plain = await serve((_req, res) => json(res, 200, '{"ok":1}'));
    const secure = await serve((req, res) => {
      if (req.url === '/up') return res.writeHead(302, { Location: `${plain.url}/x` }).end();
      json(res, 200, '{"ok":2}');
    }, tls);
    try {
      for (const plainHttpSetting of [undefined, 'SREGISTRY_HUB_NOHTTPS']) {
        await rejectsUser(requestJson({ url: `${secure.url}/up`, insecure: true, plainHttpSetting }), (error) => {
          assert.equal(error.code, 'EREDIRECT');
          assert.equal(
            error.message,
            `${secure.url} redirected to plain http (${plain.url}): not followed, as its answer could be read and changed on the way`,
          );
          if (plainHttpSetting) assert.match(error.fix ?? '', /, or export SREGISTRY_HUB_NOHTTPS=1$/);
          else assert.doesNotMatch(error.fix ?? '', /NOHTTPS/);
        });
      }
      assert.equal(plain.seen.length, 0, 'the plain-http server was never asked');
      // the other way, http to https, is followed
      const upgraded = await serve((_req, res) => res.writeHead(301, { Location: `${secure.url}/y` }).end());
      try {
        assert.equal((await requestJson<{ ok: number }>({ url: `${upgraded.url}/x`, insecure: true })).data?.ok, 2);
      } finally {
        await upgraded.close();
      }
    } finally {
      await Promise.all([plain.close(), secure.close()]);
    }
  });
});
