import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registryFor } from '../src/config';
import { readCredentials } from '../src/credentials';
import { core, harness, userError } from './helpers';

function where(env: Record<string, string>, secrets?: Record<string, unknown>, uri?: string) {
  const h = harness(env, secrets);
  try {
    return registryFor(core, h.ctx.settings, uri ? h.parse(uri) : undefined);
  } finally {
    h.cleanup();
  }
}

test('SREGISTRY_REGISTRY_BASE from the environment wins over the secrets file', () => {
  const loc = where(
    { SREGISTRY_REGISTRY_BASE: 'http://env.example:5000' },
    { registry: { SREGISTRY_REGISTRY_BASE: 'http://file.example', base: 'http://legacy.example' } },
  );
  assert.equal(loc.root, 'http://env.example:5000');
  assert.equal(loc.api, 'http://env.example:5000/api');
  assert.equal(loc.upload, 'http://env.example:5000/upload');
  assert.equal(loc.source, 'SREGISTRY_REGISTRY_BASE');
});

test('SREGISTRY_REGISTRY_BASE in the secrets file wins over the legacy base', () => {
  const loc = where({}, { registry: { base: 'http://legacy.example', SREGISTRY_REGISTRY_BASE: 'http://file.example/' } });
  assert.equal(loc.api, 'http://file.example/api');
});

test("the legacy `base` key (the token page's JSON) is used when nothing else is set", () => {
  const loc = where({}, { registry: { token: 't', username: 'u', base: 'https://registry.example.org' } });
  assert.equal(loc.api, 'https://registry.example.org/api');
  assert.equal(loc.source, 'base');
});

test('a base that already ends with /api is not given a second one; the upload URL drops it', () => {
  for (const base of ['http://h.example/api', 'http://h.example/api/', 'http://h.example//api//']) {
    const loc = where({ SREGISTRY_REGISTRY_BASE: base });
    assert.equal(loc.api, 'http://h.example/api', base);
    assert.equal(loc.upload, 'http://h.example/upload', base);
  }
  const prefixed = where({ SREGISTRY_REGISTRY_BASE: 'https://h.example/sub/api' });
  assert.equal(prefixed.api, 'https://h.example/sub/api');
  assert.equal(prefixed.upload, 'https://h.example/sub/upload');
});

test('a base without a scheme gets https://, or http:// when SREGISTRY_REGISTRY_NOHTTPS says yes', () => {
  assert.equal(where({ SREGISTRY_REGISTRY_BASE: 'registry.example.org' }).api, 'https://registry.example.org/api');
  assert.equal(where({ SREGISTRY_REGISTRY_BASE: '127.0.0.1:18765', SREGISTRY_REGISTRY_NOHTTPS: 'yes' }).api, 'http://127.0.0.1:18765/api');
  assert.equal(where({ SREGISTRY_REGISTRY_BASE: '127.0.0.1:18765', SREGISTRY_REGISTRY_NOHTTPS: 'no' }).api, 'https://127.0.0.1:18765/api');
  assert.equal(
    where({ SREGISTRY_REGISTRY_BASE: 'localhost:5000/' }, { registry: { SREGISTRY_REGISTRY_NOHTTPS: '1' } }).api,
    'http://localhost:5000/api',
  );
  // an explicit scheme is kept even with NOHTTPS
  assert.equal(where({ SREGISTRY_REGISTRY_BASE: 'https://h.example', SREGISTRY_REGISTRY_NOHTTPS: 'yes' }).api, 'https://h.example/api');
});

test('a SREGISTRY_REGISTRY_NOHTTPS that is no yes/no word is refused, whether or not the base needs it', async () => {
  for (const base of ['127.0.0.1:18765', 'http://127.0.0.1:18765']) {
    const error = await userError(() => where({ SREGISTRY_REGISTRY_BASE: base, SREGISTRY_REGISTRY_NOHTTPS: 'maybe' }));
    assert.equal(error.code, 'ESETTING', base);
    assert.match(error.message, /^SREGISTRY_REGISTRY_NOHTTPS is "maybe", not yes or no$/, base);
  }
});

test('without any base there is no registry: ENOBASE before any request, and no header naming one', async () => {
  const error = await userError(() => where({}));
  assert.equal(error.code, 'ENOBASE');
  assert.match(error.message, /^You must define a base in secrets, image uri, or environment$/);
  const h = harness({});
  try {
    assert.equal(h.backend.describe?.(), undefined);
    assert.deepEqual(h.lines, []);
  } finally {
    h.cleanup();
  }
});

test('a host in the name is the registry, with /api added the same way as for a base', () => {
  const named = where({}, undefined, 'registry.example.org/coll/name:v1');
  assert.equal(named.api, 'https://registry.example.org/api');
  assert.equal(named.upload, 'https://registry.example.org/upload');
  assert.equal(named.source, 'name');
  const port = where({ SREGISTRY_REGISTRY_NOHTTPS: 'y' }, undefined, '127.0.0.1:5000/coll/name');
  assert.equal(port.api, 'http://127.0.0.1:5000/api');
  // registry://host:port/... (the scheme selects the backend, it is not http)
  assert.equal(where({}, undefined, 'registry://127.0.0.1:5000/coll/name').api, 'https://127.0.0.1:5000/api');
  // a name written as an http URL keeps that scheme
  assert.equal(where({}, undefined, 'http://127.0.0.1:5000/coll/name').api, 'http://127.0.0.1:5000/api');
});

test("a name's host that is the base's host uses the base as written (scheme, path prefix)", () => {
  const loc = where({ SREGISTRY_REGISTRY_BASE: 'http://127.0.0.1:5000/sub' }, undefined, '127.0.0.1:5000/coll/name');
  assert.equal(loc.api, 'http://127.0.0.1:5000/sub/api');
  // another host in the name is used instead of the base
  const other = where({ SREGISTRY_REGISTRY_BASE: 'http://127.0.0.1:5000' }, undefined, 'other.example:6000/coll/name');
  assert.equal(other.api, 'https://other.example:6000/api');
  // a name without a host uses the base
  assert.equal(where({ SREGISTRY_REGISTRY_BASE: 'http://127.0.0.1:5000' }, undefined, 'coll/name').api, 'http://127.0.0.1:5000/api');
});

test('a garbage base is a UserError naming SREGISTRY_REGISTRY_BASE', async () => {
  for (const base of ['not a url', 'ftp://h.example', 'http://user:pw@h.example', 'http://', 'reg istry.example']) {
    const error = await userError(() => where({ SREGISTRY_REGISTRY_BASE: base }));
    assert.match(error.message, /SREGISTRY_REGISTRY_BASE/, base);
    assert.ok(error.fix, base);
    assert.doesNotMatch(error.message, /pw/, 'a password in the base is not echoed');
  }
});

test('describe() names the registry and no secret', () => {
  const h = harness({
    SREGISTRY_REGISTRY_BASE: 'http://127.0.0.1:18765',
    SREGISTRY_REGISTRY_TOKEN: 'sekrit-token',
    SREGISTRY_REGISTRY_USERNAME: 'dinosaur',
  });
  try {
    assert.equal(h.backend.describe?.(), '[registry|http://127.0.0.1:18765]');
  } finally {
    h.cleanup();
  }
});

test('credentials: environment over secrets, legacy keys, and a clear error when the token is missing', async () => {
  const make = (env: Record<string, string>, secrets?: Record<string, unknown>) => {
    const h = harness(env, secrets);
    try {
      return readCredentials(h.ctx);
    } finally {
      h.cleanup();
    }
  };
  assert.deepEqual(
    make({ SREGISTRY_REGISTRY_USERNAME: 'e', SREGISTRY_REGISTRY_TOKEN: 'et' }, { registry: { username: 'l', token: 'lt' } }),
    { username: 'e', token: 'et' },
  );
  assert.deepEqual(make({}, { registry: { username: 'l', token: 'lt' } }), { username: 'l', token: 'lt' });
  assert.deepEqual(
    make({}, { registry: { SREGISTRY_REGISTRY_USERNAME: 'n', SREGISTRY_REGISTRY_TOKEN: 'nt', username: 'l', token: 'lt' } }),
    { username: 'n', token: 'nt' },
  );
  const missing = await userError(() => make({ SREGISTRY_REGISTRY_USERNAME: 'e' }));
  assert.equal(missing.message, 'Failed to authorize: SREGISTRY_REGISTRY_TOKEN is not set');
  assert.match(missing.fix ?? '', /export SREGISTRY_REGISTRY_TOKEN/);
  assert.match(missing.fix ?? '', /~\/\.sregistry/);
  const noUser = await userError(() => make({ SREGISTRY_REGISTRY_TOKEN: 't' }));
  assert.match(noUser.message, /SREGISTRY_REGISTRY_USERNAME is not set/);
});
