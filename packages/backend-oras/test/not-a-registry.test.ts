// An oras:// address that is a web server, not a registry: it answers every path with a 200 HTML page. Pull,
// search, login and push must say so in one line (EBADANSWER) instead of a bare status, an empty listing or a
// push that "succeeds" with nothing stored.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type DistributionHandle, sampleSif } from '@sregistry/testkit';
import { assertOneLineError, type OrasHome, orasHome, PASSWORD, USER } from './helpers';

describe('an oras:// address that answers with a web page', () => {
  let server: http.Server;
  let host: string;
  let e: OrasHome;
  // what the server was asked, for the push tests
  const seen: string[] = [];
  // the blob HEADs answer as a registry does (its digest named), the rest as the web server: the manifest PUT
  let halfRegistry = false;
  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const blob = /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? '')?.[1];
      if (halfRegistry && req.method === 'HEAD' && blob) {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': blob });
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>\n');
    });
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    // no registry process: the home only needs the address (plain http, no login)
    e = await orasHome({ host } as DistributionHandle, { login: false });
  });
  after(async () => {
    e?.cleanup();
    await new Promise((done) => server?.close(done));
  });

  const notRegistry = (what: string) =>
    new RegExp(
      `^ERROR ${host} sent an HTML page \\(HTTP 200\\) for ${what}, not an OCI registry API answer; check the address: ${host} must be the registry itself`,
    );

  test('pull is one line that names the answer and the address, with EBADANSWER', async () => {
    assertOneLineError(await e.run(['pull', `oras://${host}/demo/app:1`]), notRegistry('the manifest of .*demo/app:1'));
    const json = await e.run(['pull', '--json', `oras://${host}/demo/app:1`]);
    assert.equal(json.code, 1, json.stderr);
    assert.equal(JSON.parse(json.stdout).error.code, 'EBADANSWER');
  });

  test('search of the catalogue and of tags says so instead of listing nothing', async () => {
    const repos = assertOneLineError(await e.run(['search', `oras://${host}/`]), notRegistry('the listing of the catalogue of .*'));
    assert.doesNotMatch(repos, /No repositories/);
    const tags = assertOneLineError(await e.run(['search', `oras://${host}/demo/app`]), notRegistry('the listing of .*demo/app'));
    assert.doesNotMatch(tags, /No tags/);
  });

  test('login is refused and saves nothing', async () => {
    const login = await e.run(['oras', 'login', host, '--username', USER, '--password-stdin'], { input: PASSWORD });
    assertOneLineError(login, notRegistry('GET /v2/'));
    assert.ok(!fs.existsSync(e.dockerConfig), 'no login saved');
  });

  test('push is one line (EBADANSWER), never "Pushed": a 200 page is neither a blob it has nor an accepted upload', async () => {
    const image = path.join(e.home, 'a.sif');
    await sampleSif(image);
    seen.length = 0;
    const pushed = await e.run(['push', image, '--name', `oras://${host}/demo/a:v1`]);
    const line = assertOneLineError(pushed, new RegExp(`^ERROR ${host} sent an HTML page \\(HTTP 200\\) for the upload POST for demo/a`));
    assert.doesNotMatch(line + pushed.stdout, /Pushed/);
    assert.ok(!seen.some((r) => r.startsWith('PUT /v2/demo/a/manifests/')), `no manifest sent: ${seen.join(', ')}`);
    const json = await e.run(['push', '--json', image, '--name', `oras://${host}/demo/a:v1`]);
    assert.equal(json.code, 1, json.stderr);
    assert.equal(JSON.parse(json.stdout).error.code, 'EBADANSWER');
  });

  test('a manifest PUT answered 200 with a page is one line (EBADANSWER), not a push', async () => {
    const image = path.join(e.home, 'b.sif');
    await sampleSif(image);
    halfRegistry = true;
    try {
      const pushed = await e.run(['push', image, '--name', `oras://${host}/demo/b:v1`]);
      const line = assertOneLineError(
        pushed,
        new RegExp(`^ERROR ${host} sent an HTML page \\(HTTP 200\\) for the manifest PUT for .*demo/b:v1`),
      );
      assert.doesNotMatch(line + pushed.stdout, /Pushed/);
    } finally {
      halfRegistry = false;
    }
  });
});
