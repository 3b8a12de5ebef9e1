// Native delete (registry-api.md §1.4): lookup by tag and/or version, frozen refusal, 403 for a missing or bad
// signature, 204 on success — and the quirk that any registered user may delete any unfrozen container.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, beforeEach, describe, it } from 'node:test';
import { signRequest } from '../src/registry-server/hmac';
import { startRegistryServer } from '../src/registry-server/server';
import type { RegistryServerHandle } from '../src/registry-server/types';

const alice = { username: 'alice', token: 'a'.repeat(40) };
const bob = { username: 'bob', token: 'b'.repeat(40) };

describe('native delete', () => {
  let reg: RegistryServerHandle | undefined;
  const del = (ref: string, header?: string) =>
    fetch(`${reg?.url}/api/container/${ref}`, { method: 'DELETE', headers: header ? { Authorization: header } : {} });
  const sign = (user: typeof alice, name = 'tacos', tag = 'latest', collection = 'alice') =>
    signRequest('delete', { ...user, collection, name, tag });

  beforeEach(async () => {
    await reg?.close();
    reg = await startRegistryServer({
      users: [alice, bob],
      seed: [
        {
          name: 'alice',
          owners: ['alice'],
          containers: [
            { name: 'tacos', file: 10 },
            { name: 'tacos', tag: 'v2', file: 20 },
            { name: 'frozen', file: 5, frozen: true },
          ],
        },
      ],
    });
  });
  after(() => reg?.close());

  it("lets any registered user delete (quirk): bob deletes alice's container with 204 and the file goes", async () => {
    const info = reg?.containers().find((c) => c.tag === 'latest');
    const res = await del('alice/tacos:latest', sign(bob));
    assert.equal(res.status, 204);
    assert.equal(await res.text(), '');
    assert.equal(
      reg?.containers().some((c) => c.id === info?.id),
      false,
    );
    assert.equal(existsSync(String(info?.path)), false);
  });

  it('answers 403 Unauthorized without a header or with a bad signature', async () => {
    for (const header of [undefined, sign({ ...alice, token: 'c'.repeat(40) }), sign(alice, 'tacos', 'v2'), 'Bearer x']) {
      const res = await del('alice/tacos:latest', header);
      assert.equal(res.status, 403, String(header));
      assert.deepEqual(await res.json(), { detail: 'Unauthorized' });
    }
    assert.equal(reg?.containers().length, 3);
  });

  it('answers 403 with the frozen detail, and 404 Container Not Found', async () => {
    const frozen = await del('alice/frozen:latest', sign(alice, 'frozen'));
    assert.equal(frozen.status, 403);
    assert.deepEqual(await frozen.json(), { detail: 'alice/frozen:latest is frozen, delete not allowed.' });
    const missing = await del('alice/nope:latest', sign(alice, 'nope'));
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { detail: 'Container Not Found' });
  });

  it('uses the version: tag+version must both match, name@version finds by version, bare name needs version NULL', async () => {
    const v2 = reg?.containers().find((c) => c.tag === 'v2');
    assert.equal((await del(`alice/tacos:v2@${'0'.repeat(32)}`, sign(alice, 'tacos', 'v2'))).status, 404);
    assert.equal((await del('alice/tacos', sign(alice))).status, 404);
    // Signed with the FOUND container's tag, not anything from the URL.
    const res = await del(`alice/tacos@${v2?.version}/`, sign(alice, 'tacos', 'v2'));
    assert.equal(res.status, 204);
    assert.equal(
      reg?.containers().some((c) => c.tag === 'v2'),
      false,
    );
  });
});
