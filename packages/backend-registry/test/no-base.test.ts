// Without a registry address the backend uses the server's default, http://127.0.0.1; when nothing answers
// there the error says that no address is set and how to set one. The refusal is made by nock, so it does not
// depend on what this machine runs on port 80.
import assert from 'node:assert/strict';
import { after, afterEach, test } from 'node:test';
import nock from '../../testkit/node_modules/nock';
import { harness, userError } from './helpers';

nock.disableNetConnect();
afterEach(() => nock.cleanAll());
after(() => nock.enableNetConnect());

function refuse(origin: string) {
  nock(origin)
    .persist()
    .get(/.*/)
    .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
}

test('search, pull and delete with no base set: "no registry address is set", the default named as what was tried', async () => {
  refuse('http://127.0.0.1');
  const h = harness({ SREGISTRY_REGISTRY_USERNAME: 'u', SREGISTRY_REGISTRY_TOKEN: 't' });
  try {
    const name = h.parse('vanessa/tacos:latest');
    for (const op of [() => h.backend.search?.(undefined), () => h.backend.resolve?.(name)]) {
      const error = await userError(op);
      assert.equal(error.message, 'no registry address is set (tried the local default http://127.0.0.1: connection refused)');
      assert.equal(
        error.fix,
        'set it with: sregistry backend add registry base https://registry.example.org, or export SREGISTRY_REGISTRY_BASE=https://…',
      );
      assert.equal(error.code, 'ENOBASE');
    }
  } finally {
    h.cleanup();
  }
});

test('a base the user set that does not answer is still named as it is', async () => {
  refuse('http://registry.test:8000');
  const h = harness({ SREGISTRY_REGISTRY_BASE: 'http://registry.test:8000' });
  try {
    const error = await userError(() => h.backend.search?.(undefined));
    assert.equal(error.message, 'cannot reach http://registry.test:8000: connection refused');
  } finally {
    h.cleanup();
  }
});
