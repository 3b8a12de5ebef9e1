// What the real server does with versions, names and clocks (registry-api.md §1.1, §1.3, §3), as the cross-client
// work found it: the md5 version becomes `sha256.<hex>` once the worker ran, GET ignores `@version`, a pushed
// collection is stored normalised, and the Date header is the server's (skewed) clock.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { signRequest } from '../src/registry-server/hmac';
import { postMultipart } from '../src/registry-server/multipart-client';
import { startRegistryServer } from '../src/registry-server/server';

const dino = { username: 'dinosaur', token: 'd'.repeat(40) };
const BYTES = Buffer.from('interop image\n');
const MD5 = createHash('md5').update(BYTES).digest('hex');
const SHA = createHash('sha256').update(BYTES).digest('hex');

async function push(url: string, file: string, collection: string, name: string, tag: string): Promise<number> {
  const step1 = await fetch(`${url}/api/upload/chunked_upload`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Authorization: signRequest('push', { ...dino, collection: collection.toLowerCase().replace(/[^a-z0-9]+/g, '-'), name, tag }),
    },
    body: JSON.stringify({ collection, name, tag }),
  });
  assert.equal(step1.status, 200);
  const { cid } = (await step1.json()) as { cid: number };
  const stored = collection.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const auth = signRequest('upload', { ...dino, collection: stored, name, tag });
  const step2 = await postMultipart({
    url: `${url}/upload`,
    headers: { Authorization: auth },
    fields: [
      ['SREGISTRY_EVENT', auth],
      ['name', name],
      ['collection', String(cid)],
      ['tag', tag],
    ],
    file: { field: 'file1', path: file, filename: `${name}:${tag}.sif` },
  });
  return step2.status;
}

test('a pushed version is the md5 at first and sha256.<hex> once the worker ran; GET ignores @version', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sregistry-interop-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'img.sif');
  await writeFile(file, BYTES);
  const reg = await startRegistryServer({ users: [dino], rehashAfterMs: 300 });
  t.after(() => reg.close());

  assert.equal(await push(reg.url, file, 'My_Coll', 'hello', 'v1'), 200);
  const manifest = async (ref: string) => (await (await fetch(`${reg.url}/api/container/${ref}`)).json()) as Record<string, unknown>;
  assert.equal((await manifest('my-coll/hello:v1')).version, MD5, 'right after the push: the md5 nginx computed');
  assert.equal((await manifest('my_coll/hello:v1')).detail, 'Not found.', 'the collection is stored normalised only');
  for (let i = 0; i < 100 && (await manifest('my-coll/hello:v1')).version === MD5; i++) await sleep(50);
  assert.equal((await manifest('my-coll/hello:v1')).version, `sha256.${SHA}`, 'the worker re-hashed it');
  const other = await manifest(`my-coll/hello:v1@${'d'.repeat(32)}`);
  assert.equal(other.version, `sha256.${SHA}`, 'GET ignores the @version part and answers the tag');
});

test('without a worker versions stay md5 until rehash(), which also covers seeded containers', async (t) => {
  const reg = await startRegistryServer({ seed: [{ name: 'vanessa', containers: [{ name: 'tacos', file: BYTES }] }] });
  t.after(() => reg.close());
  assert.equal(reg.containers()[0]?.version, MD5);
  await reg.rehash();
  assert.equal(reg.containers()[0]?.version, `sha256.${SHA}`);
});

test("the Date header is the server's clock, skew included", async (t) => {
  const reg = await startRegistryServer({ faults: { clockOffsetMs: 2 * 60 * 60 * 1000 } });
  t.after(() => reg.close());
  const answer = await fetch(`${reg.url}/api/collections/`);
  const skew = Date.parse(answer.headers.get('date') ?? '') - Date.now();
  assert.ok(Math.abs(skew - 2 * 60 * 60 * 1000) < 5 * 60 * 1000, `Date is two hours ahead (${skew} ms)`);
});
