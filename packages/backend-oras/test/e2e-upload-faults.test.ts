// Upload faults between the CLI and a real Distribution registry, made by a small proxy in front of it: a 503 to
// a blob PUT, a connection dropped in the middle of a PATCH chunk and a 503 to the manifest PUT are retried (a
// blob from a new upload session) and the pulled image is the pushed one; faults on every attempt end the push
// in one line with no manifest for the tag; a 4xx is never retried.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as core from '@sregistry/core';
import { cleanEnv, type DistributionHandle, distributionAvailable, startDistribution, writeSif } from '@sregistry/testkit';
import * as oras from '../src/backend';
import { assertOneLineError, BIN, fileSha256, type OrasHome, orasHome, PASSWORD, USER, USERS, writeLogin } from './helpers';

const available = distributionAvailable();

interface Fault {
  /** answer this many blob PATCH/PUTs with 503 (after reading their body) */
  blob503?: number;
  /** destroy the connection of this many blob PATCH/PUTs after 256 KiB of their body (or at its end) */
  blobDrop?: number;
  /** answer this many manifest PUTs with 503 */
  manifest503?: number;
  /** answer the next closing blob PUT with 400 DIGEST_INVALID */
  digestInvalid?: boolean;
  /** hold the body of this many blob PATCHes for `holdMs` before passing it on (a slow link) */
  holdPatch?: number;
  holdMs?: number;
  /** pass this many bytes of the next blob PATCH to the registry, then hold the rest (a push cut off part-way) */
  cutPatchAfter?: number;
  /** set when those bytes have been passed on */
  cutReached?: boolean;
  /** hold the registry's answer to the next upload request of this method (POST, DELETE) for `ms` */
  holdAnswer?: { method: string; ms: number };
  /** set when such an answer is being held */
  answerHeld?: boolean;
  /**
   * pass the next blob HEAD (the duplicate check) on only once a blob PATCH has begun (5 s at most): the order a
   * slow link gives, whatever the load on the machine that hashes the file
   */
  headAfterPatch?: boolean;
  /** set when a blob PATCH begins (the test clears it as it arms headAfterPatch) */
  patchBegun?: boolean;
}

interface Seen {
  method: string;
  url: string;
  status: number;
}

function startProxy(target: string, fault: Fault, seen: Seen[]): Promise<http.Server> {
  const upstream = new URL(target);
  const patchBegun = () => {
    fault.patchBegun = true;
    server.emit('patch');
  };
  const server = http.createServer((req, res) => {
    const method = req.method ?? '';
    const url = req.url ?? '';
    const upload = (method === 'PATCH' || method === 'PUT') && url.includes('/blobs/uploads/');
    const manifest = method === 'PUT' && url.includes('/manifests/');
    const answer = (status: number, body: string) => {
      req.resume();
      req.on('end', () => {
        seen.push({ method, url, status });
        res.writeHead(status, { 'Content-Type': 'application/json', Connection: 'close' });
        res.end(body);
      });
    };
    if (upload && fault.blob503) {
      fault.blob503--;
      answer(503, '{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}');
      return;
    }
    if (manifest && fault.manifest503) {
      fault.manifest503--;
      answer(503, '{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}');
      return;
    }
    if (upload && method === 'PUT' && url.includes('digest=') && fault.digestInvalid) {
      fault.digestInvalid = false;
      answer(400, '{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}');
      return;
    }
    if (upload && fault.blobDrop) {
      fault.blobDrop--;
      let received = 0;
      const drop = () => {
        seen.push({ method, url, status: 0 });
        req.socket.destroy();
      };
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= 256 * 1024) drop();
      });
      req.on('end', drop);
      return;
    }
    if (method === 'PATCH' && url.includes('/blobs/uploads/')) patchBegun();
    if (method === 'HEAD' && /\/blobs\/sha256:/.test(url) && fault.headAfterPatch) {
      fault.headAfterPatch = false;
      const go = () => {
        clearTimeout(timer);
        server.off('patch', go);
        req.pipe(
          http
            .request(
              { host: upstream.hostname, port: upstream.port, method, path: url, headers: { ...req.headers, host: upstream.host } },
              (reply) => {
                seen.push({ method, url, status: reply.statusCode ?? 0 });
                res.writeHead(reply.statusCode ?? 502, reply.headers);
                reply.pipe(res);
              },
            )
            .on('error', () => res.destroy()),
        );
      };
      const timer = setTimeout(go, 5000);
      if (fault.patchBegun) go();
      else server.on('patch', go);
      return;
    }
    let hold = 0;
    if (method === 'PATCH' && url.includes('/blobs/uploads/') && fault.holdPatch) {
      fault.holdPatch--;
      hold = fault.holdMs ?? 0;
    }
    let cut = 0;
    if (method === 'PATCH' && url.includes('/blobs/uploads/') && fault.cutPatchAfter) {
      cut = fault.cutPatchAfter;
      fault.cutPatchAfter = 0;
    }
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method, path: url, headers: { ...req.headers, host: upstream.host } },
      async (reply) => {
        if (fault.holdAnswer?.method === method && url.includes('/blobs/uploads/')) {
          const { ms } = fault.holdAnswer;
          fault.holdAnswer = undefined;
          fault.answerHeld = true;
          await new Promise((r) => setTimeout(r, ms));
        }
        seen.push({ method, url, status: reply.statusCode ?? 0 });
        // the registry's Location headers name itself: keep the client on the proxy
        const headers = { ...reply.headers };
        if (typeof headers.location === 'string')
          headers.location = headers.location.replace(upstream.origin, `http://${req.headers.host}`);
        res.writeHead(reply.statusCode ?? 502, headers);
        reply.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    if (cut) {
      let passed = 0;
      req.on('data', (chunk: Buffer) => {
        if (passed < cut) forward.write(chunk.subarray(0, cut - passed));
        passed += chunk.length;
        if (passed >= cut) {
          req.pause();
          fault.cutReached = true;
        }
      });
      // the client gone, the registry sees its PATCH end part-way
      res.on('close', () => forward.destroy());
    } else if (hold) {
      req.pause();
      setTimeout(() => req.pipe(forward), hold);
    } else req.pipe(forward);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('oras upload faults', { skip: available.ok ? false : available.reason }, () => {
  let registry: DistributionHandle;
  let proxy: http.Server;
  let host: string;
  let e: OrasHome;
  const fault: Fault = {};
  const seen: Seen[] = [];

  const image = async (name: string, fill: number) => {
    const file = path.join(e.home, name);
    await writeSif(file, { partition: { data: Buffer.alloc(3 * 1024 * 1024 + 17, fill), arch: 'amd64' } });
    return file;
  };
  /** Pulls `tag` anew and checks it has the bytes of `file`. */
  const pullsBack = async (repo: string, file: string) => {
    const out = `${path.basename(file)}.pulled`;
    const r = await e.run(['pull', '--no-cache', '--name', out, `oras://${host}/${repo}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fileSha256(path.join(e.work, out)), fileSha256(file));
  };
  // upload sessions opened (a POST answered 202; a large file's first request, its POST, also meets the 401)
  const sessions = (from: number, repo: string) =>
    seen.slice(from).filter((q) => q.method === 'POST' && q.status === 202 && q.url.startsWith(`/v2/${repo}/blobs/uploads/`)).length;

  before(async () => {
    registry = await startDistribution({ auth: 'htpasswd', users: USERS });
    proxy = await startProxy(registry.url, fault, seen);
    host = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    e = await orasHome(registry);
    writeLogin(e.dockerConfig, host, USER, PASSWORD);
  });
  after(async () => {
    e?.cleanup();
    proxy?.closeAllConnections();
    await new Promise((resolve) => proxy?.close(resolve));
    await registry?.close();
  });

  test('a 503 to the blob PUT: a new upload session, and the pulled image is identical', async () => {
    const file = await image('put503.sif', 1);
    fault.blob503 = 1;
    const mark = seen.length;
    const r = await e.run(['push', file, '--name', `oras://${host}/alice/put503:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fault.blob503, 0, 'the fault was hit');
    assert.ok(
      seen.slice(mark).some((q) => q.status === 503),
      'the registry side answered 503',
    );
    // layer: the failed session and the new one; config: one
    assert.equal(sessions(mark, 'alice/put503'), 3);
    await pullsBack('alice/put503:v1', file);
  });

  test('a connection dropped mid-PATCH: the chunked upload starts again and succeeds', async () => {
    const file = await image('dropped.sif', 2);
    fault.blobDrop = 1;
    const mark = seen.length;
    const r = await e.run(['push', file, '--name', `oras://${host}/alice/dropped:v1`], {
      env: { SREGISTRY_ORAS_CHUNK_SIZE: String(1024 * 1024) },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fault.blobDrop, 0, 'the fault was hit');
    assert.ok(seen.slice(mark).some((q) => q.method === 'PATCH' && q.status === 0));
    assert.ok(seen.slice(mark).filter((q) => q.method === 'PATCH' && q.status === 202).length >= 4, 'chunks after the restart');
    assert.equal(sessions(mark, 'alice/dropped'), 3);
    await pullsBack('alice/dropped:v1', file);
  });

  test('a 503 to the manifest PUT is retried', async () => {
    const file = await image('manifest.sif', 3);
    fault.manifest503 = 1;
    const mark = seen.length;
    const r = await e.run(['push', file, '--name', `oras://${host}/alice/manifest503:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      seen
        .slice(mark)
        .filter((q) => q.url.includes('/manifests/'))
        .map((q) => q.status),
      [503, 201],
    );
    await pullsBack('alice/manifest503:v1', file);
  });

  test('faults on every attempt: one line after a bounded number of sessions, and no manifest for the tag', async () => {
    const file = await image('always.sif', 4);
    fault.blob503 = Number.POSITIVE_INFINITY;
    const mark = seen.length;
    try {
      const r = await e.run(['push', file, '--name', `oras://${host}/alice/always:v1`], { env: { SREGISTRY_RETRY_MAX_TIME: '60' } });
      assertOneLineError(r, /did not accept the blob sha256:[0-9a-f]{64} \(UNAVAILABLE: try later\) \(5 attempts\)/);
    } finally {
      fault.blob503 = 0;
    }
    assert.equal(sessions(mark, 'alice/always'), 5, 'the first attempt and 4 retries');
    assert.ok(!seen.slice(mark).some((q) => q.url.includes('/manifests/')), 'no manifest was sent');
    const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    const got = await fetch(`${registry.url}/v2/alice/always/manifests/v1`, {
      headers: { authorization: basic, accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(got.status, 404);
  });

  test('progress after a dropped session moves forward only and ends at the size: resent bytes are not counted twice', async () => {
    const file = await image('progress.sif', 6);
    const size = fs.statSync(file).size;
    const values: Record<string, string> = {
      SREGISTRY_ORAS_NOHTTPS: 'true',
      SREGISTRY_ORAS_CHUNK_SIZE: String(1024 * 1024),
      DOCKER_CONFIG: path.dirname(e.dockerConfig),
    };
    const settings: core.BackendSettings = { get: (k) => values[k], getBoolean: (k) => values[k] === 'true', require: (k) => values[k] };
    const backend = oras.createBackend(core.backendContext('oras', { settings, log: { debug() {}, info() {}, warn() {} } }));
    fault.blobDrop = 1;
    const mark = seen.length;
    const sent: number[] = [];
    await backend.push({
      file,
      size,
      name: core.parseImageName(`oras://${host}/alice/progress:v1`, oras.parseOptions),
      onProgress: (n, total) => {
        assert.equal(total, size);
        sent.push(n);
      },
    });
    assert.equal(fault.blobDrop, 0, 'the fault was hit');
    assert.equal(sessions(mark, 'alice/progress'), 3);
    assert.ok(sent.length > 2);
    for (let i = 1; i < sent.length; i++) assert.ok(sent[i] > sent[i - 1], `progress went from ${sent[i - 1]} to ${sent[i]}`);
    assert.equal(sent[sent.length - 1], size);
    await pullsBack('alice/progress:v1', file);
  });

  const largeImage = async (name: string, fill: number) => {
    const file = path.join(e.home, name);
    await writeSif(file, { partition: { data: Buffer.alloc(17 * 1024 * 1024, fill), arch: 'amd64' } });
    return file;
  };

  test('a connection dropped in the streamed PATCH of a large file: a new session, and the pulled image is identical', async () => {
    const file = await largeImage('large-dropped.sif', 7);
    fault.blobDrop = 1;
    const mark = seen.length;
    const r = await e.run(['push', file, '--name', `oras://${host}/alice/largedrop:v1`, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fault.blobDrop, 0, 'the fault was hit');
    assert.equal(JSON.parse(r.stdout).details.blobUploaded, true);
    assert.deepEqual(
      seen
        .slice(mark)
        .filter((q) => q.method === 'PATCH')
        .map((q) => q.status),
      [0, 202],
      'the dropped PATCH, then one whole PATCH in a new session',
    );
    assert.equal(sessions(mark, 'alice/largedrop'), 3);
    await pullsBack('alice/largedrop:v1', file);
  });

  test('a large file the registry has, on a slow link: the streamed PATCH ends early, is answered, and its session deleted', async () => {
    const file = await largeImage('large-known.sif', 8);
    assert.equal((await e.run(['push', file, '--name', `oras://${host}/alice/largeknown:v1`])).code, 0);
    // the PATCH body waits in the proxy long enough for the hash and the HEAD to finish first
    fault.holdPatch = 1;
    fault.holdMs = 1500;
    fault.headAfterPatch = true;
    fault.patchBegun = false;
    const mark = seen.length;
    const r = await e.run(['push', file, '--name', `oras://${host}/alice/largeknown:v2`, '--json', '--debug']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fault.holdPatch, 0, 'the PATCH was held');
    assert.equal(JSON.parse(r.stdout).details.blobUploaded, false);
    assert.match(r.stderr, /PATCH body ended after \d+ bytes/);
    const after = seen.slice(mark);
    assert.deepEqual(
      after.filter((q) => q.url.includes('/blobs/uploads/') && q.method !== 'POST').map((q) => `${q.method} ${q.status}`),
      ['PATCH 202', 'DELETE 204'],
      'the short PATCH was answered and the session deleted; no closing PUT',
    );
    const uploads = path.join(registry.storage, 'docker', 'registry', 'v2', 'repositories', 'alice', 'largeknown', '_uploads');
    const left = fs.existsSync(uploads)
      ? (fs.readdirSync(uploads, { recursive: true }) as string[]).filter((f) => path.basename(f) === 'data')
      : [];
    assert.deepEqual(left, [], 'no bytes left on the registry');
    await pullsBack('alice/largeknown:v2', file);
  });

  test('Ctrl-C in the middle of a PATCH: exit 130, and the upload session is deleted, leaving no bytes on the registry', async () => {
    const file = await largeImage('cancelled.sif', 9);
    fault.holdPatch = 1;
    fault.holdMs = 60_000;
    const mark = seen.length;
    try {
      const child = spawn(process.execPath, [BIN, 'push', file, '--name', `oras://${host}/alice/cancelled:v1`], {
        cwd: e.work,
        env: cleanEnv(e.env),
      });
      let stderr = '';
      child.stderr.on('data', (c) => {
        stderr += String(c);
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const started = Date.now();
      // the PATCH is held in the proxy: its session is open on the registry
      while (fault.holdPatch !== 0 && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 200));
      child.kill('SIGINT');
      assert.equal(await exited, 130, stderr);
      assert.match(stderr, /push cancelled/);
      assert.doesNotMatch(stderr, /partial upload stays/);
    } finally {
      fault.holdPatch = 0;
    }
    const deleted = seen.slice(mark).filter((q) => q.method === 'DELETE' && q.url.includes('/blobs/uploads/'));
    assert.deepEqual(
      deleted.map((q) => q.status),
      [204],
      'the session was deleted',
    );
    const uploads = path.join(registry.storage, 'docker', 'registry', 'v2', 'repositories', 'alice', 'cancelled', '_uploads');
    const left = fs.existsSync(uploads)
      ? (fs.readdirSync(uploads, { recursive: true }) as string[]).filter((f) => path.basename(f) === 'data')
      : [];
    assert.deepEqual(left, [], 'no bytes left on the registry');
  });

  /** Runs a push, and sends SIGINT (`times` of them, 50 ms apart) once `ready` says so. */
  const interruptPush = async (file: string, repo: string, ready: () => boolean, times = 1) => {
    const child = spawn(process.execPath, [BIN, '--debug', 'push', file, '--name', `oras://${host}/${repo}:v1`], {
      cwd: e.work,
      env: cleanEnv(e.env),
    });
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += String(c);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const started = Date.now();
    while (!ready() && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 20));
    assert.ok(ready(), 'the push reached the point to interrupt');
    for (let i = 0; i < times; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGINT');
    }
    return { code: await exited, stderr };
  };

  test('Ctrl-C while the POST that opens the session is unanswered: the session it opened is still deleted', async () => {
    const file = await image('posted.sif', 12);
    fault.holdAnswer = { method: 'POST', ms: 1000 };
    fault.answerHeld = false;
    const mark = seen.length;
    try {
      const r = await interruptPush(file, 'alice/posted', () => fault.answerHeld === true);
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /^ERROR push cancelled$/m);
    } finally {
      fault.holdAnswer = undefined;
    }
    assert.deepEqual(
      seen
        .slice(mark)
        .filter((q) => q.url.includes('/blobs/uploads/'))
        .map((q) => `${q.method} ${q.status}`),
      ['POST 202', 'DELETE 204'],
      'the session the POST opened was deleted',
    );
    const uploads = path.join(registry.storage, 'docker', 'registry', 'v2', 'repositories', 'alice', 'posted', '_uploads');
    // a deleted session keeps only its hash state folder; an open one has its data and startedat files
    const left = fs.existsSync(uploads)
      ? (fs.readdirSync(uploads, { recursive: true }) as string[]).filter((f) => ['data', 'startedat'].includes(path.basename(f)))
      : [];
    assert.deepEqual(left, [], 'no upload session left on the registry');
  });

  test('a second Ctrl-C right after the first (as timeout -s INT sends two) does not cut off the DELETE of the session', async () => {
    const file = await largeImage('twice.sif', 13);
    fault.holdPatch = 1;
    fault.holdMs = 60_000;
    const mark = seen.length;
    try {
      // the DELETE's answer is slow: the second SIGINT comes while it is out
      const r = await interruptPush(
        file,
        'alice/twice',
        () => {
          const ready = fault.holdPatch === 0;
          if (ready && !fault.holdAnswer) fault.holdAnswer = { method: 'DELETE', ms: 500 };
          return ready;
        },
        2,
      );
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /^ERROR push cancelled$/m);
      assert.match(r.stderr, /oras: upload session deleted \(204\)/);
    } finally {
      fault.holdPatch = 0;
      fault.holdAnswer = undefined;
    }
    assert.deepEqual(
      seen
        .slice(mark)
        .filter((q) => q.method === 'DELETE')
        .map((q) => q.status),
      [204],
    );
  });

  test('Ctrl-C after part of a PATCH reached the registry: its refusal to delete the session is told, not called a deletion', async () => {
    const file = await largeImage('cut.sif', 10);
    fault.cutPatchAfter = 1024 * 1024;
    fault.cutReached = false;
    const mark = seen.length;
    const uploads = path.join(registry.storage, 'docker', 'registry', 'v2', 'repositories', 'alice', 'cut', '_uploads');
    const stored = () =>
      fs.existsSync(uploads)
        ? (fs.readdirSync(uploads, { recursive: true }) as string[])
            .filter((f) => path.basename(f) === 'data')
            .reduce((sum, f) => sum + fs.statSync(path.join(uploads, f)).size, 0)
        : 0;
    let stderr = '';
    try {
      const child = spawn(process.execPath, [BIN, '--debug', 'push', file, '--name', `oras://${host}/alice/cut:v1`], {
        cwd: e.work,
        env: cleanEnv(e.env),
      });
      child.stderr.on('data', (c) => {
        stderr += String(c);
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const started = Date.now();
      // the registry has written some of the PATCH: the session's Location (its _state) is now stale
      while (!(fault.cutReached && stored() > 0) && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 50));
      assert.ok(stored() > 0, 'part of the PATCH reached the registry');
      child.kill('SIGINT');
      assert.equal(await exited, 130, stderr);
    } finally {
      fault.cutPatchAfter = 0;
    }
    assert.match(stderr, /push cancelled/);
    const deleted = seen.slice(mark).filter((q) => q.method === 'DELETE' && q.url.includes('/blobs/uploads/'));
    assert.deepEqual(
      deleted.map((q) => q.status),
      [404],
      'Distribution refuses the stale _state',
    );
    assert.doesNotMatch(stderr, /upload session deleted/);
    assert.match(
      stderr,
      /DEBUG oras: the upload session was not deleted: 127\.0\.0\.1:\d+ answered 404 BLOB_UPLOAD_INVALID to the DELETE of the upload session; the partial upload stays on the registry until it purges stale uploads/,
    );
    assert.match(
      stderr,
      /^WARNING the partial upload stays on the registry until it purges stale uploads \(Distribution: after a week\): 127\.0\.0\.1:\d+ answered 404/m,
    );
    assert.ok(stored() > 0, 'the bytes stay on the registry, as the warning says');
  });

  test('a 4xx (DIGEST_INVALID) is never retried', async () => {
    const file = await image('invalid.sif', 5);
    fault.digestInvalid = true;
    const mark = seen.length;
    const r = await e.run(['push', file, '--name', `oras://${host}/alice/invalid:v1`]);
    assertOneLineError(r, /received other bytes than sha256:/);
    assert.equal(sessions(mark, 'alice/invalid'), 1);
  });
});
