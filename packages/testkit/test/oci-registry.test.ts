// The testkit's real OCI registry (Distribution) in its three set-ups: Basic auth over http, the same over TLS
// with the suite's CA, and token auth with the testkit token server (valid and expired tokens).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import { type DistributionHandle, distributionAvailable, startDistribution } from '../src/oci-registry/index';

const available = distributionAvailable();
const skip = available.ok ? false : available.reason;
const USERS = { alice: 'wonder-land-7' };

function get(
  url: string,
  headers: Record<string, string> = {},
  ca?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? https.get : http.get;
    const req = send(url, { headers, ...(ca ? { ca: fs.readFileSync(ca) } : {}) }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('htpasswd over http', { skip }, () => {
  let registry: DistributionHandle;
  before(async () => {
    registry = await startDistribution({ auth: 'htpasswd', users: USERS });
  });
  after(() => registry?.close());

  test('asks for Basic credentials, accepts the right ones, refuses a wrong password', async () => {
    const anonymous = await get(`${registry.url}/v2/`);
    assert.equal(anonymous.status, 401);
    assert.match(String(anonymous.headers['www-authenticate']), /^Basic realm="sregistry-test"/);
    assert.equal((await get(`${registry.url}/v2/`, basic('alice', USERS.alice))).status, 200);
    assert.equal((await get(`${registry.url}/v2/`, basic('alice', 'nope'))).status, 401);
  });

  test('close() stops the registry and removes its storage', async () => {
    const other = await startDistribution({ auth: 'none' });
    await other.close();
    await assert.rejects(get(`${other.url}/v2/`));
    assert.equal(fs.existsSync(other.storage), false);
  });
});

describe('htpasswd over TLS with a generated CA', { skip }, () => {
  let registry: DistributionHandle;
  before(async () => {
    registry = await startDistribution({ auth: 'htpasswd', tls: true, users: USERS });
  });
  after(() => registry?.close());

  test('serves https that verifies against the suite CA only', async () => {
    assert.match(registry.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(registry.caFile);
    assert.equal((await get(`${registry.url}/v2/`, basic('alice', USERS.alice), registry.caFile)).status, 200);
    await assert.rejects(get(`${registry.url}/v2/`), /self-signed|unable to verify|certificate/i);
  });
});

describe('token auth with the testkit token server', { skip }, () => {
  let registry: DistributionHandle;
  before(async () => {
    registry = await startDistribution({ auth: 'token', users: USERS, publicRepositories: ['pub/hello'] });
  });
  after(() => registry?.close());

  test('challenge → token for a user → accepted; an expired token is refused', async () => {
    const challenge = await get(`${registry.url}/v2/alice/x/tags/list`);
    assert.equal(challenge.status, 401);
    const header = String(challenge.headers['www-authenticate']);
    assert.match(
      header,
      /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token",service="sregistry-test-registry",scope="repository:alice\/x:pull"/,
    );
    const tokenUrl = `${registry.tokenServer!.url}?service=sregistry-test-registry&scope=repository:alice/x:pull`;
    const answer = await get(tokenUrl, basic('alice', USERS.alice));
    const { token } = JSON.parse(answer.body);
    const list = await get(`${registry.url}/v2/alice/x/tags/list`, { Authorization: `Bearer ${token}` });
    assert.equal(list.status, 404, `the token is accepted (the repository is unknown): ${list.body}`);

    registry.tokenServer!.setLifetime(-60);
    const expired = JSON.parse((await get(tokenUrl, basic('alice', USERS.alice))).body).token;
    registry.tokenServer!.setLifetime(300);
    assert.equal((await get(`${registry.url}/v2/alice/x/tags/list`, { Authorization: `Bearer ${expired}` })).status, 401);
  });

  test('a wrong password gets no token; anonymous callers get pull on public repositories only', async () => {
    assert.equal((await get(`${registry.tokenServer!.url}?service=sregistry-test-registry`, basic('alice', 'bad'))).status, 401);
    const anon = JSON.parse(
      (await get(`${registry.tokenServer!.url}?service=sregistry-test-registry&scope=repository:alice/x:pull`)).body,
    ).token;
    assert.equal((await get(`${registry.url}/v2/alice/x/tags/list`, { Authorization: `Bearer ${anon}` })).status, 401);
    const pub = JSON.parse(
      (await get(`${registry.tokenServer!.url}?service=sregistry-test-registry&scope=repository:pub/hello:pull`)).body,
    ).token;
    assert.equal((await get(`${registry.url}/v2/pub/hello/tags/list`, { Authorization: `Bearer ${pub}` })).status, 404);
  });
});
