// Without a registry address (no SREGISTRY_REGISTRY_BASE, no `base` in the secrets file, no host in the name)
// nothing is sent anywhere: a guessed local address would hand the user name and an hour's signature to whatever
// listens there. Every request is caught by nock, so the test does not depend on what this machine runs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, test } from 'node:test';
import { sampleSif } from '@sregistry/testkit';
import nock from '../../testkit/node_modules/nock';
import { assertOneLineError, registryHome } from './e2e-helpers';
import { harness, userError } from './helpers';

nock.disableNetConnect();
afterEach(() => nock.cleanAll());
after(() => nock.enableNetConnect());

const MESSAGE = 'You must define a base in secrets, image uri, or environment';
const FIX =
  'sregistry backend add registry base https://registry.example.org, export SREGISTRY_REGISTRY_BASE=https://registry.example.org, or name the host: registry://registry.example.org/collection/name:tag';
const LABELS_FIX =
  'sregistry backend add registry base https://registry.example.org or export SREGISTRY_REGISTRY_BASE=https://registry.example.org';

/** Any request to any host is recorded (and answered, so a wrong call would not fail for another reason). */
function recordRequests(): string[] {
  const seen: string[] = [];
  for (const origin of ['http://127.0.0.1', 'https://127.0.0.1', 'http://localhost', 'https://localhost']) {
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE']) {
      nock(origin)
        .persist()
        .intercept(/.*/, method)
        .reply(function (uri) {
          seen.push(`${this.req.method} ${origin}${uri}`);
          return [200, {}];
        });
    }
  }
  return seen;
}

test("search, labels, pull, push and delete with no base: the original's message with the three ways to set one, and no request", async () => {
  const seen = recordRequests();
  const h = harness({ SREGISTRY_REGISTRY_USERNAME: 'u', SREGISTRY_REGISTRY_TOKEN: 't' }, { registry: { username: 'u', token: 't' } });
  try {
    const name = h.parse('vanessa/tacos:latest');
    const file = path.join(h.dir, 'hello.sif');
    fs.writeFileSync(file, 'not really a SIF');
    const ops: [string, () => Promise<unknown> | undefined][] = [
      ['search', () => h.backend.search?.(undefined)],
      ['search collection/', () => h.backend.search?.('vanessa/')],
      ['search collection/name', () => h.backend.search?.('vanessa/tacos')],
      ['labels', () => h.backend.labels?.({})],
      ['pull', () => h.backend.resolve?.(name)],
      ['push', () => h.backend.push?.({ name: h.parse('me/nob:v1'), file, size: 16 })],
      ['delete', () => h.backend.delete?.(name)],
    ];
    for (const [what, op] of ops) {
      const error = await userError(op);
      assert.equal(error.message, MESSAGE, what);
      // labels takes no image name, so its fix leaves out naming the host in one
      assert.equal(error.fix, what === 'labels' ? LABELS_FIX : FIX, what);
      assert.equal(error.code, 'ENOBASE', what);
    }
    assert.deepEqual(seen, []);
    assert.equal(h.backend.describe?.(), undefined, 'no registry to name in the header');
  } finally {
    h.cleanup();
  }
});

test('the CLI: `--debug push` with no base is one line and sends nothing', async () => {
  const e = await registryHome(undefined, { registry: { username: 'me', token: 'e2e0c0ffee'.repeat(4) } });
  try {
    // a real SIF: push warns about anything else, and the one line must be the missing base
    await sampleSif(path.join(e.work, 'hello.sif'));
    for (const args of [
      ['push', 'hello.sif', '--name', 'me/nob:v1'],
      ['search', 'registry://'],
      ['pull', 'registry://vanessa/tacos:latest'],
    ]) {
      const r = await e.run(['--debug', ...args], { env: { SREGISTRY_REGISTRY_BASE: undefined, MESSAGELEVEL: undefined } });
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('ERROR'));
      assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
      assert.deepEqual(errors, [`ERROR ${MESSAGE}; ${FIX}`], args[0]);
      assert.doesNotMatch(r.stderr, /\b(GET|POST|HEAD|PUT|DELETE) https?:\/\//, `${args[0]}: no request`);
      assert.doesNotMatch(r.stderr, /127\.0\.0\.1/, args[0]);
    }
    // without --debug the same is all there is
    assertOneLineError(
      await e.run(['push', 'hello.sif', '--name', 'me/nob:v1']),
      /^ERROR You must define a base in secrets, image uri, or environment; /,
    );
  } finally {
    e.cleanup();
  }
});

test('a base the user set that does not answer is still named as it is', async () => {
  nock('http://registry.test:8000')
    .persist()
    .get(/.*/)
    .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  const h = harness({ SREGISTRY_REGISTRY_BASE: 'http://registry.test:8000' });
  try {
    const error = await userError(() => h.backend.search?.(undefined));
    assert.equal(error.message, 'cannot reach http://registry.test:8000: connection refused');
  } finally {
    h.cleanup();
  }
});
