import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createRegistryBackend } from '../src/backend';
import { core, userError } from './helpers';
import { assertNothingSecret, setup } from './server-helpers';

const ONE_HOUR = 3600_000;

test('a public image resolves without a signature to a downloadable URL with the md5 to check', async (t) => {
  const s = await setup(t);
  const remote = await s.h.backend.resolve!(s.h.parse('vanessa/tacos:latest'));
  const info = s.server.containers().find((c) => c.name === 'tacos')!;
  assert.equal(remote.url, info.image);
  assert.equal(remote.name.uri, 'vanessa/tacos:latest');
  assert.equal(remote.version, undefined, 'the core records the sha256 as the version, like the original');
  assert.equal(remote.md5, info.version);
  assert.equal(remote.headers, undefined, 'the download URL is the capability: no Authorization');
  assert.equal(remote.manifest.collection, 'vanessa');
  assert.equal(remote.manifest.selfLink, `${s.server.url}/api/container/vanessa/tacos:latest`);
  const gets = s.server.requests.filter((r) => r.path.startsWith('/api/container/'));
  assert.equal(gets.length, 1);
  assert.equal(gets[0]!.url, '/api/container/vanessa/tacos:latest', 'the version is not sent');
  assert.equal(gets[0]!.headers.authorization, undefined);

  // the core can fetch it and the md5 matches
  const dest = path.join(s.h.dir, 'tacos.sif');
  const result = await core.downloadToFile({ url: remote.url, dest, hashes: ['sha256', 'md5'] });
  assert.equal(result.md5, remote.md5);
  assert.equal(createHash('md5').update(fs.readFileSync(dest)).digest('hex'), remote.md5);
});

test('a private image: 403 without a signature, then a signed pull that succeeds', async (t) => {
  const s = await setup(t);
  const remote = await s.h.backend.resolve!(s.h.parse('dinosaur/secret'));
  assert.equal(remote.name.uri, 'dinosaur/secret:latest');
  const gets = s.server.requests.filter((r) => r.path.startsWith('/api/container/'));
  assert.deepEqual(
    gets.map((r) => r.status),
    [403, 200],
  );
  assert.equal(gets[0]!.headers.authorization, undefined);
  assert.match(
    String(gets[1]!.headers.authorization),
    /^SREGISTRY-HMAC-SHA256 Credential=pull\/ZGlub3NhdXI=\/\d{8}T\d{2}Z,Signature=[0-9a-f]{64}$/,
  );
  assertNothingSecret(s);
});

test('a private image without a token: Failed to authorize', async (t) => {
  const s = await setup(t, { secrets: { registry: {} } });
  const error = await userError(() => s.h.backend.resolve!(s.h.parse('dinosaur/secret')));
  assert.equal(error.message, 'Failed to authorize: SREGISTRY_REGISTRY_TOKEN is not set');
});

test('a wrong token: the bare 400 becomes a message about the signature and the clock', async (t) => {
  const s = await setup(t, { env: { SREGISTRY_REGISTRY_TOKEN: 'f'.repeat(40) } });
  const error = await userError(() => s.h.backend.resolve!(s.h.parse('dinosaur/secret')));
  assert.equal(error.message, 'the registry rejected the signature (400)');
  assert.match(error.fix ?? '', /clock/);
  assert.match(error.fix ?? '', /UTC hour/);
  assertNothingSecret(s, error.message, error.fix);
});

test('a user without access: Unauthorized (403) with a fix', async (t) => {
  const s = await setup(t, { env: { SREGISTRY_REGISTRY_USERNAME: 'stranger', SREGISTRY_REGISTRY_TOKEN: 'a'.repeat(40) } });
  s.server.addUser({ username: 'stranger', token: 'a'.repeat(40) });
  const error = await userError(() => s.h.backend.resolve!(s.h.parse('dinosaur/secret')));
  assert.equal(error.message, 'Unauthorized (403): you have no access to dinosaur/secret:latest');
  assert.match(error.fix ?? '', /username|token/i);
});

test('a missing image names the registry and suggests a search', async (t) => {
  const s = await setup(t);
  const error = await userError(() => s.h.backend.resolve!(s.h.parse('vanessa/nope:v9')));
  assert.equal(error.message, `vanessa/nope:v9 was not found on ${s.server.url}`);
  assert.match(error.fix ?? '', /sregistry search vanessa\//);
});

test('the download limit (HTTP 200 with body 429) is a clear message, not a crash', async (t) => {
  const s = await setup(t, { server: { containerGetLimit: 0 } });
  const error = await userError(() => s.h.backend.resolve!(s.h.parse('vanessa/tacos')));
  assert.equal(error.message, "the registry's download limit for this image is reached (429)");
  assert.match(error.fix ?? '', /later/);
});

test('a signature refused because the UTC hour turned in flight is made again once', async (t) => {
  // the first signature is made in the previous hour, the second one now
  const times = [new Date(Date.now() - ONE_HOUR), new Date()];
  let calls = 0;
  const s = await setup(t, { runtime: { now: () => times[Math.min(calls++, times.length - 1)]! } });
  const remote = await s.h.backend.resolve!(s.h.parse('dinosaur/secret'));
  assert.equal(remote.name.uri, 'dinosaur/secret:latest');
  const signed = s.server.requests.filter((r) => r.headers.authorization);
  assert.equal(signed.length, 2, 'signed twice');
  assert.deepEqual(
    signed.map((r) => r.status),
    [200, 200],
  );
  assert.notEqual(signed[0]!.headers.authorization, signed[1]!.headers.authorization);
});

test('a skewed clock (same hour on both tries) is not retried: the user is told about the clock', async (t) => {
  const s = await setup(t, { server: { faults: { clockOffsetMs: 2 * ONE_HOUR } } });
  const error = await userError(() => s.h.backend.resolve!(s.h.parse('dinosaur/secret')));
  assert.match(error.message, /^the registry refused the signature, and its clock is 120 minutes ahead of this machine's \(its Date: /);
  assert.match(error.fix ?? '', /clock/);
  assert.equal(s.server.requests.filter((r) => r.headers.authorization).length, 1);
});

test('HTML where JSON is expected names the URL and the base setting', async (t) => {
  const s = await setup(t, { server: { faults: { htmlInsteadOfJson: true } } });
  const error = await userError(() => s.h.backend.resolve!(s.h.parse('vanessa/tacos')));
  assert.equal(error.message, `${s.server.url}/api/container/vanessa/tacos:latest answered HTML, not JSON`);
  assert.match(error.fix ?? '', /SREGISTRY_REGISTRY_BASE/);
});

test('a registry host:port in the name is used, with /api added', async (t) => {
  const s = await setup(t, { env: { SREGISTRY_REGISTRY_BASE: undefined, SREGISTRY_REGISTRY_NOHTTPS: 'yes' } });
  const host = new URL(s.server.url).host;
  const remote = await s.h.backend.resolve!(s.h.parse(`registry://${host}/vanessa/tacos`));
  assert.equal(remote.name.uri, 'vanessa/tacos:latest', 'catalogued without the host');
  assert.equal(remote.name.registry, undefined);
  assert.equal(s.server.requests[0]!.path, '/api/container/vanessa/tacos:latest');
});

test('SREGISTRY_HTTPS_NOVERIFY: every request is insecure and the warning is printed once', async (t) => {
  const s = await setup(t, { env: { SREGISTRY_HTTPS_NOVERIFY: 'yes' } });
  const seen: (boolean | undefined)[] = [];
  const spy = {
    ...s.h.ctx.host,
    requestJson: ((req: core.JsonRequest) => {
      seen.push(req.insecure);
      return core.requestJson(req);
    }) as typeof core.requestJson,
  };
  const backend = createRegistryBackend({ ...s.h.ctx, host: spy, core: spy });
  await backend.resolve!(s.h.parse('dinosaur/secret'));
  await backend.search!(undefined);
  assert.deepEqual(seen, [true, true, true]);
  assert.deepEqual(
    s.h.lines.filter((l) => l.level === 'warn').map((l) => l.message),
    ['Verify of certificates disabled! ::TESTING USE ONLY::'],
  );
});
