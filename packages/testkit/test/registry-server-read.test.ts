// The native read API of the fake registry over real loopback HTTP: pagination, lookups, searches, labels,
// identity, token auth and the server's odd answers (`{}` with 200, 500 for private, 500 for collection search).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { formatServerDate } from '../src/registry-server/dates';
import { startRegistryServer } from '../src/registry-server/server';
import type { RegistryServerHandle, SeedCollection } from '../src/registry-server/types';

/** GET with full control over headers (fetch will not let us set Host). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('registry read API', () => {
  let reg: RegistryServerHandle;
  const seed: SeedCollection[] = Array.from({ length: 25 }, (_, i) => ({
    name: `coll${String(i + 1).padStart(2, '0')}`,
    containers: [{ name: 'img', tag: 'latest', file: 16 }],
  }));
  seed.push({ name: 'hidden', private: true, containers: [{ name: 'img', tag: 'v1', file: 8 }] });

  before(async () => {
    reg = await startRegistryServer({
      seed,
      users: [{ username: 'Dinosaur', token: 'a'.repeat(40), password: 'jurassic' }],
      labels: [
        { key: 'maintainer', value: 'vanessa', containers: ['coll01/img:latest'] },
        { key: 'arch', value: 'amd64', containers: ['coll01/img:latest', 'coll02/img:latest'] },
      ],
    });
  });
  after(() => reg.close());

  it('pages 25 public collections 10 at a time through absolute next links, hiding the private one', async () => {
    const names: string[] = [];
    let url: string | null = `${reg.url}/api/collections/`;
    const pages: { count: number; next: string | null; previous: string | null }[] = [];
    while (url) {
      const res = await fetch(url);
      assert.equal(res.status, 200);
      const page = (await res.json()) as { count: number; next: string | null; previous: string | null; results: { name: string }[] };
      pages.push(page);
      names.push(...page.results.map((r) => r.name));
      url = page.next;
    }
    assert.equal(pages.length, 3);
    assert.equal(names.length, 25);
    assert.ok(!names.includes('hidden'));
    assert.equal(pages[0].count, 25);
    assert.equal(pages[0].next, `${reg.url}/api/collections/?limit=10&offset=10`);
    assert.equal(pages[0].previous, null);
    assert.equal(pages[1].previous, `${reg.url}/api/collections/?limit=10`);
    assert.equal(pages[2].previous, `${reg.url}/api/collections/?limit=10&offset=10`);
    assert.equal(pages[2].next, null);
  });

  it('builds next from the Host header, not from DOMAIN_NAME', async () => {
    const res = await rawGet(`${reg.url}/api/collections/?limit=5`, { Host: 'registry.example:8443' });
    const page = JSON.parse(res.body) as { next: string; results: unknown[] };
    assert.equal(page.results.length, 5);
    assert.equal(page.next, 'http://registry.example:8443/api/collections/?limit=5&offset=5');
  });

  it('serves CollectionItem with uri and HTML detail links, and Chicago-time dates', async () => {
    const res = await fetch(`${reg.url}/api/collections/?limit=1`);
    const item = ((await res.json()) as { results: Record<string, unknown>[] }).results[0];
    assert.deepEqual(Object.keys(item), ['id', 'name', 'add_date', 'modify_date', 'metadata', 'containers']);
    const id = reg.containers().find((c) => c.collection === 'coll01')?.id;
    assert.deepEqual(item.containers, [{ name: 'img', tag: 'latest', uri: 'coll01/img:latest', detail: `${reg.url}/containers/${id}` }]);
    assert.match(String(item.add_date), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?-0[56]:00$/);
  });

  it('lists containers of public collections with the ContainerListItem key order', async () => {
    const page = (await (await fetch(`${reg.url}/api/containers/?limit=100`)).json()) as {
      count: number;
      results: Record<string, unknown>[];
    };
    assert.equal(page.count, 25);
    assert.deepEqual(Object.keys(page.results[0]), [
      'id',
      'name',
      'tag',
      'add_date',
      'metrics',
      'version',
      'frozen',
      'metadata',
      'collection',
    ]);
    assert.match(String(page.results[0].version), /^[0-9a-f]{32}$/);
  });

  it('answers 404 Not found. for private or missing ids', async () => {
    const hidden = reg.containers().find((c) => c.collection === 'hidden');
    const res = await fetch(`${reg.url}/api/containers/${hidden?.id}/`);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { detail: 'Not found.' });
    assert.equal((await fetch(`${reg.url}/api/collections/999/`)).status, 404);
    const ok = await fetch(`${reg.url}/api/collections/1/`);
    assert.equal(((await ok.json()) as { name: string }).name, 'coll01');
  });

  it('redirects router URLs without the trailing slash (APPEND_SLASH)', async () => {
    const res = await fetch(`${reg.url}/api/collections?limit=3`, { redirect: 'manual' });
    assert.equal(res.status, 301);
    assert.equal(res.headers.get('location'), '/api/collections/?limit=3');
  });

  it('looks a collection up lower-cased, answers {} with 200 when missing and 500 when private', async () => {
    const found = await fetch(`${reg.url}/api/collection/COLL02`);
    assert.equal(((await found.json()) as { name: string }).name, 'coll02');
    const missing = await fetch(`${reg.url}/api/collection/nope/`);
    assert.equal(missing.status, 200);
    assert.deepEqual(await missing.json(), {});
    const priv = await fetch(`${reg.url}/api/collection/hidden`);
    assert.equal(priv.status, 500);
    assert.match(priv.headers.get('content-type') ?? '', /text\/html/);
  });

  it('keeps collection search broken (500)', async () => {
    assert.equal((await fetch(`${reg.url}/api/collection/search/coll`)).status, 500);
  });

  it('container search returns plain arrays and leaks private containers', async () => {
    const byName = (await (await fetch(`${reg.url}/api/container/search/name/IMG`)).json()) as { collection: string }[];
    assert.ok(Array.isArray(byName));
    assert.equal(byName.length, 26);
    assert.ok(byName.some((c) => c.collection === 'hidden'));
    const exact = (await (await fetch(`${reg.url}/api/container/search/collection/hidden/name/img/tag/v1/`)).json()) as unknown[];
    assert.equal(exact.length, 1);
    assert.deepEqual(await (await fetch(`${reg.url}/api/container/search/name/img/tag/nope`)).json(), []);
    assert.equal(((await (await fetch(`${reg.url}/api/container/search/collection/coll03/name/img`)).json()) as unknown[]).length, 1);
  });

  it('serves labels in all four search forms', async () => {
    const all = (await (await fetch(`${reg.url}/api/labels/search`)).json()) as unknown[];
    assert.equal(all.length, 2);
    assert.deepEqual(await (await fetch(`${reg.url}/api/labels/search/arch/key/`)).json(), [
      { key: 'arch', value: 'amd64', containers: ['coll01/img:latest', 'coll02/img:latest'] },
    ]);
    assert.equal(((await (await fetch(`${reg.url}/api/labels/search/vanessa/value`)).json()) as unknown[]).length, 1);
    assert.deepEqual(await (await fetch(`${reg.url}/api/labels/search/arch/key/x86/value`)).json(), []);
  });

  it('answers identity, token auth, unknown routes and wrong methods like the server', async () => {
    assert.deepEqual(await (await fetch(`${reg.url}/api/registry/identity`)).json(), {
      name: 'Tacosaurus Computing Center',
      id: 'taco',
      url: reg.url,
    });
    const token = await fetch(`${reg.url}/api/api-token-auth/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'dinosaur', password: 'jurassic' }),
    });
    assert.deepEqual(await token.json(), { token: 'a'.repeat(40) });
    const bad = await fetch(`${reg.url}/api/api-token-auth/`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'dinosaur', password: 'x' }),
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { non_field_errors: ['Unable to log in with provided credentials.'] });
    const unknown = await fetch(`${reg.url}/nothing/here`);
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /<h1>Not Found<\/h1>/);
    const post = await fetch(`${reg.url}/api/collections/`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.deepEqual(await post.json(), { detail: 'Method "POST" not allowed.' });
  });

  it('gives a browser the HTML browsable API and everyone else JSON', async () => {
    const html = await fetch(`${reg.url}/api/registry/identity`, { headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    assert.match(html.headers.get('content-type') ?? '', /text\/html/);
    const json = await fetch(`${reg.url}/api/registry/identity?format=json`, { headers: { Accept: 'text/html' } });
    assert.match(json.headers.get('content-type') ?? '', /application\/json/);
  });

  it('records every request with its headers and status', async () => {
    await fetch(`${reg.url}/api/collection/coll05?x=1`, { headers: { Authorization: 'Token nope-not-checked-here' } });
    const rec = reg.requests.at(-1);
    assert.equal(rec?.path, '/api/collection/coll05');
    assert.deepEqual(rec?.query, { x: '1' });
    assert.equal(rec?.headers.authorization, 'Token nope-not-checked-here');
    // DRF's TokenAuthentication rejects an unknown token before the view runs.
    assert.equal(rec?.status, 401);
  });
});

describe('server dates', () => {
  it('renders America/Chicago with its offset, microseconds only when non-zero (Python isoformat)', () => {
    assert.equal(formatServerDate(Date.UTC(2026, 10, 27, 5, 30, 3) * 1000 + 471_486), '2026-11-26T23:30:03.471486-06:00');
    assert.equal(formatServerDate(Date.UTC(2026, 6, 1, 12, 0, 0) * 1000), '2026-07-01T07:00:00-05:00');
    assert.equal(formatServerDate(Date.UTC(2026, 6, 1, 12, 0, 0) * 1000 + 5, 'UTC'), '2026-07-01T12:00:00.000005+00:00');
  });
});

describe('handle: domain, run-time seeding and privacy', () => {
  it('uses DOMAIN_NAME for image/detail/identity URLs and follows setPrivate and addContainer', async () => {
    const reg = await startRegistryServer({ domain: 'https://reg.example.org/' });
    try {
      const info = await reg.addContainer({ collection: 'late', name: 'img', tag: 'v1', file: Buffer.from('hello') });
      assert.match(info.image, /^https:\/\/reg\.example\.org\/containers\/1\/download\/[0-9a-f-]{36}$/);
      assert.equal(info.version, '5d41402abc4b2a76b9719d911017c592'); // md5("hello")
      const item = (await (await fetch(`${reg.url}/api/collection/late`)).json()) as { containers: { detail: string }[] };
      assert.equal(item.containers[0].detail, 'https://reg.example.org/containers/1');
      assert.equal(((await (await fetch(`${reg.url}/api/registry/identity/`)).json()) as { url: string }).url, 'https://reg.example.org');
      reg.setPrivate('late', true);
      assert.equal(((await (await fetch(`${reg.url}/api/collections/`)).json()) as { count: number }).count, 0);
      assert.equal(reg.containers()[0].private, true);
    } finally {
      await reg.close();
    }
  });
});
