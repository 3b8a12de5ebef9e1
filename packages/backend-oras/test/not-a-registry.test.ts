// An oras:// address that is a web server, not a registry: it answers every path with a 200 HTML page. Pull,
// search and login must say so in one line (EBADANSWER) instead of a bare status or an empty listing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { DistributionHandle } from '@sregistry/testkit';
import { assertOneLineError, type OrasHome, orasHome, PASSWORD, USER } from './helpers';

describe('an oras:// address that answers with a web page', () => {
  let server: http.Server;
  let host: string;
  let e: OrasHome;
  before(async () => {
    server = http.createServer((_req, res) => {
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
});
