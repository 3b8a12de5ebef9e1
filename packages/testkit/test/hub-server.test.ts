import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { type HubServer, startHubServer } from '../src/hub-server/index';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** false when the connection ended before the announced Content-Length */
  complete: boolean;
}

/** A GET/HEAD with node:http, so cut connections and redirects are seen as they are. */
function raw(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      let complete = false;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        complete = true;
      });
      res.on('error', () => {});
      res.on('close', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: complete && !res.aborted }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const json = async (url: string, method = 'GET') => {
  const r = await raw(url, { method });
  return { ...r, data: r.body.length ? JSON.parse(r.body.toString('utf8')) : undefined };
};

describe('startHubServer', () => {
  let dir: string;
  let hub: HubServer;
  const files: Record<string, Buffer> = {};

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-server-test-'));
    for (const name of ['a.sif', 'b.sif', 'c.simg', 'd.sif', 'legacy.img', 'tagged.sif']) {
      files[name] = randomBytes(70_000 + Object.keys(files).length * 1000);
      fs.writeFileSync(path.join(dir, name), files[name]!);
    }
    fs.writeFileSync(path.join(dir, 'pre.img.gz'), zlib.gzipSync(files['legacy.img']!));
    hub = await startHubServer({
      images: [
        // vsoch/hello: a real `latest` (older) and a newer `dev`; `dev` built twice, the newest wins.
        { user: 'vsoch', repo: 'hello', tag: 'latest', file: path.join(dir, 'a.sif'), buildDate: '2019-03-01T10:00:00Z' },
        { user: 'vsoch', repo: 'hello', tag: 'dev', file: path.join(dir, 'b.sif'), buildDate: '2019-04-01T10:00:00Z' },
        { user: 'vsoch', repo: 'hello', tag: 'dev', file: path.join(dir, 'd.sif'), buildDate: '2020-05-02T10:00:00Z' },
        // Other/Mixed-Case: no `latest` recipe at all.
        { user: 'Other', repo: 'Mixed-Case', tag: 'one', file: path.join(dir, 'c.simg'), buildDate: '2018-01-01T00:00:00Z' },
        { user: 'Other', repo: 'Mixed-Case', tag: 'two', file: path.join(dir, 'tagged.sif'), buildDate: '2018-06-01T00:00:00Z' },
        { user: 'legacy', repo: 'v1', tag: 'master', file: path.join(dir, 'legacy.img'), format: 'img.gz' },
        { user: 'legacy', repo: 'pre', tag: 'master', file: path.join(dir, 'pre.img.gz') },
        { user: 'never', repo: 'built', tag: 'latest', file: path.join(dir, 'a.sif'), imageNull: true },
      ],
    });
  });
  after(async () => {
    await hub.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('answers a manifest with the archive field order, the file md5 as version and the archive URL layout', async () => {
    const r = await json(`${hub.origin}/api/container/vsoch/hello:latest`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.deepEqual(Object.keys(r.data), ['id', 'name', 'branch', 'commit', 'tag', 'version', 'size_mb', 'image']);
    assert.equal(r.data.name, 'vsoch/hello');
    assert.equal(r.data.tag, 'latest');
    assert.equal(r.data.version, md5(files['a.sif']!));
    assert.match(r.data.commit, /^[0-9a-f]{40}$/);
    const expected = `${hub.origin}/shub/vsoch/hello/latest/2019-03-01-${r.data.commit.slice(0, 8)}-${r.data.version.slice(0, 8)}/${r.data.version}.sif`;
    assert.equal(r.data.image, expected);
  });

  test('serves the image as a plain file with Content-Length, and HEAD without a body', async () => {
    const m = hub.lookup('vsoch', 'hello', ':latest');
    assert.ok(m?.image);
    const got = await raw(m.image);
    assert.equal(got.status, 200);
    assert.equal(got.headers['content-length'], String(files['a.sif']!.length));
    assert.ok(got.body.equals(files['a.sif']!));
    const head = await raw(m.image, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(files['a.sif']!.length));
    assert.equal(head.body.length, 0);
    const headManifest = await raw(`${hub.origin}/api/container/vsoch/hello:latest`, { method: 'HEAD' });
    assert.equal(headManifest.status, 200);
    assert.equal(headManifest.body.length, 0);
  });

  test('the newest build wins a tag, and a version (md5) in the tag slot resolves', async () => {
    const dev = await json(`${hub.origin}/api/container/vsoch/hello:dev`);
    assert.equal(dev.data.version, md5(files['d.sif']!));
    const older = await json(`${hub.origin}/api/container/vsoch/hello:${md5(files['b.sif']!)}`);
    assert.equal(older.status, 200);
    assert.equal(older.data.tag, 'dev');
    assert.equal(older.data.version, md5(files['b.sif']!));
  });

  test('an empty rest means latest; a real latest tag is kept even when older builds are newer', async () => {
    const r = await json(`${hub.origin}/api/container/vsoch/hello`);
    assert.equal(r.data.version, md5(files['a.sif']!));
  });

  test('synthesises latest as the newest build when the collection has none, with its real tag', async () => {
    const r = await json(`${hub.origin}/api/container/Other/Mixed-Case:latest`);
    assert.equal(r.status, 200);
    assert.equal(r.data.tag, 'two');
    assert.equal(r.data.version, md5(files['tagged.sif']!));
  });

  test('@digest and :tag@digest do not resolve, names are case-sensitive: 404 {"detail": "Not found."}', async () => {
    const v = md5(files['a.sif']!);
    for (const tail of [
      `vsoch/hello@${v}`,
      `vsoch/hello:latest@${v}`,
      'Vsoch/hello:latest',
      'other/mixed-case:one',
      'vsoch/hello:nope',
      'nobody/x',
    ]) {
      const r = await json(`${hub.origin}/api/container/${tail}`);
      assert.equal(r.status, 404, tail);
      assert.deepEqual(r.data, { detail: 'Not found.' });
    }
  });

  test('img.gz: the version is the md5 of the decompressed image; plain input is gzipped, gzip input served as is', async () => {
    for (const repo of ['v1', 'pre']) {
      const m = hub.lookup('legacy', repo, ':master');
      assert.equal(m?.version, md5(files['legacy.img']!));
      assert.match(m?.image ?? '', /\.img\.gz$/);
      const got = await raw(m!.image!);
      assert.equal(got.body[0], 0x1f);
      assert.ok(zlib.gunzipSync(got.body).equals(files['legacy.img']!));
    }
  });

  test('a build that never finished has image null', async () => {
    const r = await json(`${hub.origin}/api/container/never/built:latest`);
    assert.equal(r.status, 200);
    assert.equal(r.data.image, null);
  });

  test('corrupt mode serves bytes of the same length that do not match the version', async () => {
    const m = hub.lookup('vsoch', 'hello', ':latest')!;
    hub.behaviour.corrupt = true;
    try {
      const got = await raw(m.image!);
      assert.equal(got.body.length, files['a.sif']!.length);
      assert.notEqual(md5(got.body), m.version);
      assert.ok(!got.body.equals(files['a.sif']!));
    } finally {
      hub.behaviour.corrupt = false;
    }
    assert.equal(md5((await raw(m.image!)).body), m.version);
  });

  test('redirectDownloads: the image URL answers 302 to the file path, which serves the bytes', async () => {
    const m = hub.lookup('vsoch', 'hello', ':dev')!;
    hub.behaviour.redirectDownloads = true;
    try {
      const first = await raw(m.image!);
      assert.equal(first.status, 302);
      const location = String(first.headers.location);
      assert.notEqual(location, m.image);
      const second = await raw(new URL(location, hub.origin).toString());
      assert.equal(second.status, 200);
      assert.ok(second.body.equals(files['d.sif']!));
    } finally {
      hub.behaviour.redirectDownloads = false;
    }
  });

  test('dropAfterBytes cuts the body short of Content-Length, dropCount limits how often; Range resumes', async () => {
    const m = hub.lookup('vsoch', 'hello', ':latest')!;
    hub.behaviour.dropAfterBytes = 1000;
    hub.behaviour.dropCount = 1;
    try {
      const cut = await raw(m.image!);
      assert.equal(cut.headers['content-length'], String(files['a.sif']!.length));
      assert.equal(cut.body.length, 1000);
      assert.equal(cut.complete, false);
      const rest = await raw(m.image!, { headers: { Range: 'bytes=1000-' } });
      assert.equal(rest.status, 206);
      assert.equal(rest.headers['content-range'], `bytes 1000-${files['a.sif']!.length - 1}/${files['a.sif']!.length}`);
      assert.ok(Buffer.concat([cut.body, rest.body]).equals(files['a.sif']!));
    } finally {
      hub.behaviour.dropAfterBytes = undefined;
      hub.behaviour.dropCount = undefined;
    }
  });

  test('status500 for a route and rateLimit426 with a bare integer body', async () => {
    hub.behaviour.status500 = ['/api/container/vsoch/hello:dev'];
    try {
      const failed = await json(`${hub.origin}/api/container/vsoch/hello:dev`);
      assert.equal(failed.status, 500);
      assert.match(failed.data.detail, /^Exception/);
      assert.equal((await json(`${hub.origin}/api/container/vsoch/hello:latest`)).status, 200);
    } finally {
      hub.behaviour.status500 = [];
    }
    hub.behaviour.rateLimit426 = 50;
    try {
      const limited = await raw(`${hub.origin}/api/container/vsoch/hello:latest`);
      assert.equal(limited.status, 426);
      assert.equal(limited.body.toString('utf8'), '50');
    } finally {
      hub.behaviour.rateLimit426 = undefined;
    }
  });

  test('logs every request with its status', async () => {
    hub.clearRequests();
    await raw(`${hub.origin}/api/container/vsoch/hello:latest`, { method: 'HEAD' });
    await raw(`${hub.origin}/api/container/nobody/x`);
    assert.deepEqual(
      hub.requests.map((r) => [r.method, r.url, r.status]),
      [
        ['HEAD', '/api/container/vsoch/hello:latest', 200],
        ['GET', '/api/container/nobody/x', 404],
      ],
    );
  });

  test('the old site pages redirect to the archive UI', async () => {
    const r = await raw(`${hub.origin}/api/labels`);
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, 'https://datasets.datalad.org/?dir=/shub');
  });
});
