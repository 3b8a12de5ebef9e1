// A redirect from https to plain http is never followed: not for the registry's API answer (the manifest, which
// names the download) and not for the download itself. Real servers on 127.0.0.1: an https one with a certificate
// the CLI trusts through NODE_EXTRA_CA_CERTS, and a plain-http one that must never be asked. A redirect that stays
// on https is followed as before.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeCertificates, sampleSif, type TestCertificates } from '@sregistry/testkit';
import { layout, linkedPluginData, oneErrorLine, type Sandbox, sandbox, snapshot } from './reliability-helpers';

let dir: string;
let certs: TestCertificates;
let tlsServer: https.Server;
let plainServer: http.Server;
let secure: string;
let plain: string;
let sif: Buffer;
let plugins: { dir: string; cleanup(): void };
let sb: Sandbox;
const plainRequests: string[] = [];

const manifest = (name: string, image: string) =>
  JSON.stringify({ id: 1, name, image, tag: 'latest', version: null, collection: 'coll', frozen: false, metadata: {}, metrics: {} });

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-downgrade-'));
  certs = makeCertificates(path.join(dir, 'certs'));
  sif = fs.readFileSync((await sampleSif(path.join(dir, 'x.sif'))).path);
  // the plain-http server would answer everything (the manifest, the image): any request it gets is a failure
  plainServer = http.createServer((req, res) => {
    plainRequests.push(req.url ?? '');
    if (req.url?.startsWith('/api/')) return res.writeHead(200, { 'Content-Type': 'application/json' }).end(manifest('n', `${plain}/file`));
    res.writeHead(200, { 'Content-Length': sif.length }).end(sif);
  });
  tlsServer = https.createServer({ key: fs.readFileSync(certs.serverKey), cert: fs.readFileSync(certs.serverCert) }, (req, res) => {
    const url = req.url ?? '';
    const json = (body: string) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
    if (url.startsWith('/api/container/coll/downgrade')) return res.writeHead(302, { Location: `${plain}${url}` }).end();
    if (url.startsWith('/api/container/coll/dl-downgrade')) return json(manifest('dl-downgrade', `${secure}/to-plain`));
    if (url.startsWith('/api/container/coll/fine')) return res.writeHead(302, { Location: `${secure}/moved${url}` }).end();
    if (url.startsWith('/moved/api/container/coll/fine')) return json(manifest('fine', `${secure}/to-secure`));
    if (url === '/to-plain') return res.writeHead(302, { Location: `${plain}/file` }).end();
    if (url === '/to-secure') return res.writeHead(302, { Location: `${secure}/file` }).end();
    if (url === '/file') return res.writeHead(200, { 'Content-Length': sif.length }).end(sif);
    res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"detail":"Not found."}');
  });
  for (const server of [plainServer, tlsServer]) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  plain = `http://127.0.0.1:${(plainServer.address() as AddressInfo).port}`;
  secure = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
  plugins = await linkedPluginData();
  sb = sandbox({
    pluginData: plugins.dir,
    env: { SREGISTRY_CLIENT: 'registry', SREGISTRY_REGISTRY_BASE: secure, NODE_EXTRA_CA_CERTS: certs.caFile },
  });
});
after(async () => {
  sb.cleanup();
  plugins.cleanup();
  for (const server of [plainServer, tlsServer]) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the API answer redirected from https to http: refused in one line, the http server never asked', async () => {
  const before = snapshot(sb);
  for (const args of [
    ['pull', 'registry://coll/downgrade:latest'],
    ['pull', '--debug', 'registry://coll/downgrade:latest'],
  ]) {
    const r = await sb.run(args);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    const errors = r.stderr.split('\n').filter((line) => line.startsWith('ERROR'));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(
      errors[0]!,
      /^ERROR https:\/\/127\.0\.0\.1:\d+ redirected to plain http \(http:\/\/127\.0\.0\.1:\d+\): not followed, as its answer could be read and changed on the way; ask the service to redirect to https/,
    );
    if (!args.includes('--debug')) assert.equal(oneErrorLine(r), undefined);
  }
  assert.deepEqual(plainRequests, []);
  assert.equal(snapshot(sb), before, 'nothing changed');
});

test('a download redirected from https to http: refused in one line, nothing kept', async () => {
  const before = snapshot(sb);
  const r = await sb.run(['pull', 'registry://coll/dl-downgrade:latest']);
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.equal(oneErrorLine(r), undefined);
  assert.match(r.stderr, /^ERROR https:\/\/127\.0\.0\.1:\d+ redirected to plain http \(http:\/\/127\.0\.0\.1:\d+\): not followed/);
  const json = await sb.run(['pull', '--json', 'registry://coll/dl-downgrade:latest']);
  assert.equal(JSON.parse(json.stdout).error.code, 'EREDIRECT');
  assert.deepEqual(plainRequests, []);
  assert.equal(snapshot(sb), before, 'nothing changed');
  assert.deepEqual(layout(sb).temps, [], 'no partial download left');
});

test('redirects that stay on https are followed (the API answer and the download)', async () => {
  const asked = plainRequests.length;
  const r = await sb.run(['pull', 'registry://coll/fine:latest']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Success!/);
  assert.equal(plainRequests.length, asked);
});
