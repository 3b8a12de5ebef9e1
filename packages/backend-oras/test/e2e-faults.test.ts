// Transfer faults between the CLI and a real registry, made by a small proxy in front of it: a connection dropped
// in the middle of the blob (core's download resumes with Range) and a 429 with Retry-After (waited out, then the
// pull succeeds), and a redirect of the blob to another host (object storage), which must not receive the
// registry's Authorization header. All end with the right bytes.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type DistributionHandle, distributionAvailable, startDistribution, writeSif } from '@sregistry/testkit';
import { fileSha256, type OrasHome, orasHome, PASSWORD, USER, USERS, writeLogin } from './helpers';

const available = distributionAvailable();

interface Fault {
  /** destroy the connection after this many body bytes of the next blob GET */
  dropAfter?: number;
  /** answer the next blob GET with 429 and this Retry-After (seconds) */
  retryAfter?: number;
  /** redirect blob GETs to this origin (object storage), as registries backed by S3 do */
  redirectTo?: string;
}

function startProxy(
  target: string,
  fault: Fault,
  seen: { method: string; url: string; range?: string; status: number }[],
): Promise<http.Server> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const blob = req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '');
    if (blob && fault.retryAfter !== undefined) {
      const wait = fault.retryAfter;
      fault.retryAfter = undefined;
      seen.push({ method: req.method ?? '', url: req.url ?? '', status: 429 });
      res.writeHead(429, { 'Retry-After': String(wait), 'Content-Type': 'application/json' });
      res.end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
      return;
    }
    if (blob && fault.redirectTo) {
      seen.push({ method: req.method ?? '', url: req.url ?? '', status: 307 });
      res.writeHead(307, { Location: `${fault.redirectTo}${req.url}` });
      res.end();
      return;
    }
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', range: req.headers.range, status: answer.statusCode ?? 0 });
        // the registry's Location headers name itself: keep the client on the proxy
        const headers = { ...answer.headers };
        if (typeof headers.location === 'string')
          headers.location = headers.location.replace(upstream.origin, `http://${req.headers.host}`);
        res.writeHead(answer.statusCode ?? 502, headers);
        const drop = blob && answer.statusCode === 200 && fault.dropAfter !== undefined ? fault.dropAfter : undefined;
        if (drop === undefined) {
          answer.pipe(res);
          return;
        }
        fault.dropAfter = undefined;
        let sent = 0;
        answer.on('data', (chunk: Buffer) => {
          if (sent + chunk.length >= drop) {
            res.write(chunk.subarray(0, drop - sent));
            res.socket?.destroy();
            answer.destroy();
            return;
          }
          sent += chunk.length;
          res.write(chunk);
        });
        answer.on('end', () => res.end());
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('oras transfer faults', { skip: available.ok ? false : available.reason }, () => {
  let registry: DistributionHandle;
  let proxy: http.Server;
  let host: string;
  let e: OrasHome;
  let image: string;
  const fault: Fault = {};
  const seen: { method: string; url: string; range?: string; status: number }[] = [];

  before(async () => {
    registry = await startDistribution({ auth: 'htpasswd', users: USERS });
    proxy = await startProxy(registry.url, fault, seen);
    host = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    e = await orasHome(registry);
    writeLogin(e.dockerConfig, host, USER, PASSWORD);
    image = path.join(e.home, 'faults.sif');
    await writeSif(image, { partition: { data: Buffer.alloc(4 * 1024 * 1024, 9), arch: 'amd64' } });
    const pushed = await e.run(['push', image, '--name', `oras://${host}/alice/faults:v1`]);
    assert.equal(pushed.code, 0, pushed.stderr);
  });
  after(async () => {
    e?.cleanup();
    await new Promise((resolve) => proxy?.close(resolve));
    await registry?.close();
  });

  test('a connection dropped mid-blob is resumed with Range and the bytes are right', async () => {
    fault.dropAfter = 1024 * 1024 + 3;
    const mark = seen.length;
    const r = await e.run(['pull', '--no-cache', '--name', 'dropped.sif', `oras://${host}/alice/faults:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fileSha256(path.join(e.work, 'dropped.sif')), fileSha256(image));
    const blobs = seen.slice(mark).filter((q) => q.method === 'GET' && q.url.includes('/blobs/'));
    assert.equal(blobs.length, 2, JSON.stringify(blobs));
    assert.match(String(blobs[1].range), /^bytes=\d+-$/, 'the second request resumed');
    assert.equal(blobs[1].status, 206);
  });

  test('a blob redirected to object storage: the other host gets no Authorization header, and the bytes are right', async () => {
    const headersAtStorage: http.IncomingHttpHeaders[] = [];
    // "object storage": serves the registry's blob bytes, fetched with the registry's credentials out of band
    const storage = http.createServer((req, res) => {
      headersAtStorage.push(req.headers);
      const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
      http.get(`${registry.url}${req.url}`, { headers: { authorization: basic } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, { 'content-length': String(answer.headers['content-length'] ?? '') });
        answer.pipe(res);
      });
    });
    await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
    fault.redirectTo = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;
    try {
      const mark = seen.length;
      const r = await e.run(['pull', '--no-cache', '--name', 'redirected.sif', `oras://${host}/alice/faults:v1`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(fileSha256(path.join(e.work, 'redirected.sif')), fileSha256(image));
      assert.ok(
        seen.slice(mark).some((q) => q.status === 307),
        'the registry side redirected',
      );
      assert.equal(headersAtStorage.length, 1, 'the blob came from the storage host');
      assert.equal(headersAtStorage[0].authorization, undefined, 'no Authorization header went to the other host');
    } finally {
      fault.redirectTo = undefined;
      storage.closeAllConnections();
      await new Promise((resolve) => storage.close(resolve));
    }
  });

  test('429 with Retry-After is waited out, then the pull succeeds', async () => {
    fault.retryAfter = 1;
    const mark = seen.length;
    const started = Date.now();
    const r = await e.run(['pull', `oras://${host}/alice/faults:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Date.now() - started >= 1000, 'waited for Retry-After');
    const blobs = seen.slice(mark).filter((q) => q.url.includes('/blobs/'));
    assert.deepEqual(
      blobs.map((q) => q.status),
      [429, 200],
    );
    assert.match(r.stdout, /\[container\]\[new\] alice\/faults:v1@/);
  });
});
