// Private container detail (registry-api.md §2.4): 403 without a header, 403 for users without access, the
// misleading HTTP 200 + body `400` for a bad signature, 500 for headers the server cannot parse, and 200 + `429`
// over the download limit.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signRequest } from '../src/registry-server/hmac';
import { startRegistryServer } from '../src/registry-server/server';
import type { RegistryServerHandle } from '../src/registry-server/types';

const users = [
  { username: 'dinosaur', token: '1'.repeat(40) },
  { username: 'helper', token: '2'.repeat(40) },
  { username: 'stranger', token: '3'.repeat(40) },
  { username: 'admin', token: '4'.repeat(40), staff: true },
];

describe('private container detail', () => {
  let reg: RegistryServerHandle;
  const url = () => `${reg.url}/api/container/dinosaur/secret:latest`;
  const pull = (user: (typeof users)[number], over: { date?: Date; token?: string } = {}) =>
    signRequest('pull', {
      username: user.username,
      token: over.token ?? user.token,
      collection: 'dinosaur',
      name: 'secret',
      tag: 'latest',
      date: over.date,
    });

  before(async () => {
    reg = await startRegistryServer({
      users,
      seed: [
        { name: 'vanessa', containers: [{ name: 'tacos', file: 100 }] },
        {
          name: 'dinosaur',
          private: true,
          owners: ['dinosaur'],
          contributors: ['helper'],
          getLimit: 3,
          containers: [{ name: 'secret', file: 64 }],
        },
      ],
    });
  });
  after(() => reg.close());

  it('serves a public manifest without auth, with the ContainerDetail key order and a working image URL', async () => {
    const res = await fetch(`${reg.url}/api/container/vanessa/tacos:latest`);
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), [
      'id',
      'name',
      'image',
      'tag',
      'add_date',
      'metrics',
      'version',
      'frozen',
      'metadata',
      'collection',
    ]);
    const file = await fetch(String(body.image));
    assert.equal((await file.arrayBuffer()).byteLength, 100);
  });

  it('ignores the version on GET and defaults the tag to latest', async () => {
    const res = await fetch(`${reg.url}/api/container/vanessa/tacos@deadbeef/`);
    assert.equal(((await res.json()) as { tag: string }).tag, 'latest');
    assert.equal((await fetch(`${reg.url}/api/container/vanessa/tacos:nope`)).status, 404);
  });

  it('answers 403 Authentication Required without a header', async () => {
    const res = await fetch(url());
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), { detail: 'Authentication Required' });
  });

  it('accepts a valid pull signature from the owner, a contributor and staff', async () => {
    for (const user of [users[0], users[1], users[3]]) {
      const res = await fetch(url(), { headers: { Authorization: pull(user) } });
      assert.equal(res.status, 200, user.username);
      assert.equal(((await res.json()) as { name: string }).name, 'secret');
    }
  });

  it('answers 403 Unauthorized for a valid user without access and for an unknown user', async () => {
    for (const header of [pull(users[2]), signRequest('pull', { username: 'ghost', token: 'x', collection: 'dinosaur', name: 'secret' })]) {
      const res = await fetch(url(), { headers: { Authorization: header } });
      assert.equal(res.status, 403);
      assert.deepEqual(await res.json(), { detail: 'Unauthorized' });
    }
  });

  it('answers HTTP 200 with the bare body 400 for a bad or expired signature of an allowed user', async () => {
    const headers = [
      pull(users[0], { token: 'f'.repeat(40) }),
      pull(users[0], { date: new Date(Date.now() - 2 * 3600_000) }),
      pull(users[0]).replace('Credential=pull/', 'Credential=push/'),
    ];
    for (const header of headers) {
      const res = await fetch(url(), { headers: { Authorization: header } });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), '400');
    }
  });

  it('crashes with 500 on a header that is not KEY=VALUE shaped', async () => {
    for (const header of ['Bearer x', 'Bearer', pull(users[0]).replace(',', ', ')]) {
      const res = await fetch(url(), { headers: { Authorization: header } });
      assert.equal(res.status, 500, header);
      assert.match(await res.text(), /Server Error \(500\)/);
    }
  });

  it('answers HTTP 200 with body 429 once the download limit is reached', async () => {
    const manifest = (await (await fetch(url(), { headers: { Authorization: pull(users[0]) } })).json()) as { image: string };
    for (let i = 0; i < 3; i++) assert.equal((await fetch(manifest.image, { method: 'HEAD' })).status, 200);
    const limited = await fetch(url(), { headers: { Authorization: pull(users[0]) } });
    assert.equal(limited.status, 200);
    assert.equal(await limited.text(), '429');
    const download = await fetch(manifest.image);
    assert.equal(download.status, 403);
    assert.equal(await download.text(), '');
  });
});
