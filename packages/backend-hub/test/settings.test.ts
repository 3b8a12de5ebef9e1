import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hubBase } from '../src/settings';
import { harness, userError } from './helpers';

function baseWith(env: Record<string, string>, secrets?: Record<string, unknown>) {
  const h = harness(env, secrets);
  try {
    return hubBase(h.ctx);
  } finally {
    h.cleanup();
  }
}

describe('hub base URL', () => {
  test('defaults to the archive service', () => {
    assert.deepEqual(baseWith({}), { base: 'https://singularity-hub.org', source: 'default' });
  });

  test("the legacy secrets `hub.base` (sregistry-cli's default, with /api) is honoured without its /api", () => {
    assert.equal(baseWith({}, { hub: { base: 'https://singularity-hub.org/api' } }).base, 'https://singularity-hub.org');
    assert.equal(baseWith({}, { hub: { base: 'http://mirror.example:8080/shub/api/' } }).base, 'http://mirror.example:8080/shub');
  });

  test('SREGISTRY_HUB_BASE in the secrets file wins over the legacy base', () => {
    const got = baseWith({}, { hub: { base: 'https://legacy.example/api', SREGISTRY_HUB_BASE: 'https://new.example' } });
    assert.deepEqual(got, { base: 'https://new.example', source: 'SREGISTRY_HUB_BASE' });
  });

  test('the environment wins over the secrets file', () => {
    const got = baseWith(
      { SREGISTRY_HUB_BASE: 'http://127.0.0.1:9999/api' },
      { hub: { SREGISTRY_HUB_BASE: 'https://file.example', base: 'https://legacy.example/api' } },
    );
    assert.equal(got.base, 'http://127.0.0.1:9999');
  });

  test('a base without a scheme gets https, or http with SREGISTRY_HUB_NOHTTPS', () => {
    assert.equal(baseWith({ SREGISTRY_HUB_BASE: 'hub.example:8080' }).base, 'https://hub.example:8080');
    assert.equal(baseWith({ SREGISTRY_HUB_BASE: 'hub.example:8080', SREGISTRY_HUB_NOHTTPS: 'yes' }).base, 'http://hub.example:8080');
  });

  test('a base that is not http(s) is a UserError naming the setting', async () => {
    const h = harness({ SREGISTRY_HUB_BASE: 'ftp://hub.example' });
    try {
      const error = await userError(() => hubBase(h.ctx));
      assert.match(error.message, /"ftp:\/\/hub\.example" \(from SREGISTRY_HUB_BASE\) is not an http\(s\) URL/);
      assert.match(error.fix ?? '', /SREGISTRY_HUB_BASE/);
    } finally {
      h.cleanup();
    }
  });

  test('describe() names the base only when it is not the default', () => {
    const plain = harness();
    const custom = harness({ SREGISTRY_HUB_BASE: 'http://127.0.0.1:1/api' });
    try {
      assert.equal(plain.backend.describe?.(), undefined);
      assert.equal(custom.backend.describe?.(), '[base|http://127.0.0.1:1]');
    } finally {
      plain.cleanup();
      custom.cleanup();
    }
  });
});
