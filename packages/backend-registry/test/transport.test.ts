// core's transport errors told in the registry's settings: a TLS handshake with a plain-http registry names
// SREGISTRY_REGISTRY_NOHTTPS (client-spec §6.4 step 2), the way the original said "try exporting" it.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { harness, userError } from './helpers';
import { setup, TOKEN, USER, writeImage } from './server-helpers';

const NOHTTPS_HINT = /; if the registry speaks plain http, export SREGISTRY_REGISTRY_NOHTTPS=1$/;

/** The testkit's server (plain http) and a backend whose base is `base(host)`. */
async function plainHttp(t: TestContext, base: (host: string) => string) {
  const s = await setup(t);
  const host = new URL(s.server.url).host;
  const h = harness({ SREGISTRY_REGISTRY_BASE: base(host), SREGISTRY_REGISTRY_USERNAME: USER, SREGISTRY_REGISTRY_TOKEN: TOKEN });
  t.after(() => h.cleanup());
  return { server: s.server, host, h };
}

test('a base without a scheme that speaks plain http: search and push name SREGISTRY_REGISTRY_NOHTTPS', async (t) => {
  // without a scheme the base, and a host in the name, are completed to https
  const { server, host, h } = await plainHttp(t, (host) => host);
  const error = await userError(() => h.backend.search!(undefined));
  assert.match(error.message, new RegExp(`^the TLS handshake with https://${host.replace(/\./g, '\\.')} failed`));
  assert.match(error.fix ?? '', NOHTTPS_HINT);
  assert.equal(error.code, 'ETLS');

  const image = writeImage(h.dir, 'x.sif', 'bytes\n');
  const name = h.parse(`registry://${host}/vanessa/burrito:v1`);
  const pushed = await userError(() => h.backend.push!({ file: image.file, size: image.size, name }));
  assert.equal(pushed.code, 'ETLS');
  assert.match(pushed.fix ?? '', NOHTTPS_HINT);
  assert.equal(server.requests.length, 0);
});

test('a base written with https:// is to be rewritten: NOHTTPS would not change it', async (t) => {
  const { server, h } = await plainHttp(t, (host) => `https://${host}`);
  const error = await userError(() => h.backend.search!(undefined));
  assert.equal(error.code, 'ETLS');
  assert.match(error.fix ?? '', /; if the registry speaks plain http, write http:\/\/ in SREGISTRY_REGISTRY_BASE$/);
  assert.doesNotMatch(error.fix ?? '', /NOHTTPS/);
  assert.equal(server.requests.length, 0);
});
