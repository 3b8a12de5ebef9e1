import assert from 'node:assert/strict';
import { test } from 'node:test';
import { userError } from './helpers';
import { assertNothingSecret, setup } from './server-helpers';

test('delete signs a delete request and reports 204', async (t) => {
  const s = await setup(t);
  const result = await s.h.backend.delete!(s.h.parse('vanessa/tacos:latest'));
  assert.deepEqual(result, { status: 204, message: 'Deleted', uri: 'vanessa/tacos:latest' });
  const request = s.server.requests.at(-1)!;
  assert.equal(request.method, 'DELETE');
  assert.equal(request.path, '/api/container/vanessa/tacos:latest');
  assert.match(String(request.headers.authorization), /^SREGISTRY-HMAC-SHA256 Credential=delete\/ZGlub3NhdXI=\//);
  assert.equal(s.server.containers().filter((c) => c.name === 'tacos').length, 0);
  assertNothingSecret(s);
});

test('delete with a version sends it (the server matches it)', async (t) => {
  const s = await setup(t);
  const version = s.server.containers().find((c) => c.name === 'tacos')!.version!;
  await s.h.backend.delete!(s.h.parse(`vanessa/tacos:latest@${version}`));
  assert.equal(s.server.requests.at(-1)!.path, `/api/container/vanessa/tacos:latest@${version}`);
});

test('a missing image is a not-found UserError', async (t) => {
  const s = await setup(t);
  const error = await userError(() => s.h.backend.delete!(s.h.parse('vanessa/nope')));
  assert.equal(error.message, `vanessa/nope:latest was not found on ${s.server.url}`);
});

test('a frozen image cannot be deleted', async (t) => {
  const s = await setup(t);
  s.server.freeze('vanessa', 'tacos');
  const error = await userError(() => s.h.backend.delete!(s.h.parse('vanessa/tacos')));
  assert.match(error.message, /vanessa\/tacos:latest is frozen/);
  assert.equal(s.server.requests.filter((r) => r.method === 'DELETE').length, 1, 'a frozen refusal is not re-signed');
});

test('a wrong token: Unauthorized with a fix about username and token', async (t) => {
  const s = await setup(t, { env: { SREGISTRY_REGISTRY_TOKEN: 'd'.repeat(40) } });
  const error = await userError(() => s.h.backend.delete!(s.h.parse('vanessa/tacos')));
  assert.match(error.message, /^Unauthorized \(403\)/);
  assert.match(error.fix ?? '', /SREGISTRY_REGISTRY_TOKEN/);
  assert.equal(s.server.containers().filter((c) => c.name === 'tacos').length, 1);
});

test('delete without credentials: Failed to authorize, nothing sent', async (t) => {
  const s = await setup(t, { secrets: { registry: {} } });
  const error = await userError(() => s.h.backend.delete!(s.h.parse('vanessa/tacos')));
  assert.equal(error.message, 'Failed to authorize: SREGISTRY_REGISTRY_TOKEN is not set');
  assert.equal(s.server.requests.length, 0);
});
