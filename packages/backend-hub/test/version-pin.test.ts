// `shub://user/repo:tag@<md5>` against a server that answers the exact route but ignores the digest, as
// Singularity Registry Servers do (registry-api.md §1.1: GET ignores `@version`): another build is refused before
// any download, and the requested md5 is what the downloaded file is checked against.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { startRegistryServer } from '@sregistry/testkit';
import { harness, userError } from './helpers';

const BYTES = Buffer.from('pinned image\n');
const MD5 = createHash('md5').update(BYTES).digest('hex');

test('@md5 of another build is refused; the right one is pinned for the download check', async (t) => {
  const server = await startRegistryServer({ seed: [{ name: 'vanessa', containers: [{ name: 'tacos', tag: 'latest', file: BYTES }] }] });
  const h = harness({ SREGISTRY_HUB_BASE: server.url });
  t.after(async () => {
    h.cleanup();
    await server.close();
  });
  const wrong = 'a'.repeat(32);
  const error = await userError(() => h.backend.resolve!(h.parse(`shub://vanessa/tacos:latest@${wrong}`)));
  assert.equal(server.requests[0]?.path, `/api/container/vanessa/tacos:latest@${wrong}`, 'the version was asked for');
  assert.equal(error.code, 'EVERSION');
  assert.match(error.message, new RegExp(`version is ${MD5}, not the requested ${wrong}`));
  assert.ok(!server.requests.some((r) => r.path.startsWith('/containers/')), 'nothing was downloaded');

  const remote = await h.backend.resolve!(h.parse(`shub://vanessa/tacos:latest@${MD5}`));
  assert.equal(remote.md5, MD5);
  assert.equal(remote.requestedVersion, MD5);
});
