// Downloads (registry-api.md §1.2): the secret is the credential, GET and HEAD both count, no Range unless asked.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startRegistryServer } from '../src/registry-server/server';
import type { RegistryServerHandle } from '../src/registry-server/types';

const bytes = randomBytes(300_000);

async function manifest(reg: RegistryServerHandle, ref: string): Promise<{ image: string; add_date: string }> {
  return (await (await fetch(`${reg.url}/api/container/${ref}`)).json()) as { image: string; add_date: string };
}

describe('download', () => {
  let reg: RegistryServerHandle;
  before(async () => {
    reg = await startRegistryServer({
      seed: [
        { name: 'vanessa', containers: [{ name: 'tacos', file: bytes }] },
        { name: 'dinosaur', private: true, containers: [{ name: 'secret', file: 10 }] },
      ],
    });
  });
  after(() => reg.close());

  it('streams the file with the server headers, and HEAD and GET each add one to the counts', async () => {
    const before = await manifest(reg, 'vanessa/tacos:latest');
    const head = await fetch(before.image, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'application/img');
    assert.equal(head.headers.get('content-disposition'), 'attachment; filename="vanessa-tacos:latest.sif"');
    assert.equal(head.headers.get('content-length'), String(bytes.length));
    assert.equal(head.headers.get('accept-ranges'), null);
    assert.equal(reg.containers()[0].getCount, 1);

    const get = await fetch(before.image);
    assert.ok(Buffer.from(await get.arrayBuffer()).equals(bytes));
    assert.equal(reg.containers()[0].getCount, 2);
    // auto_now: the counter save moves add_date.
    assert.notEqual((await manifest(reg, 'vanessa/tacos:latest')).add_date, before.add_date);
  });

  it('ignores Range when rangeSupport is off (the real server has none)', async () => {
    const { image } = await manifest(reg, 'vanessa/tacos:latest');
    const res = await fetch(image, { headers: { Range: 'bytes=10-19' } });
    assert.equal(res.status, 200);
    assert.equal((await res.arrayBuffer()).byteLength, bytes.length);
  });

  it('answers 404 HTML for a wrong secret or unknown id, and needs no auth for a private one', async () => {
    const { image } = await manifest(reg, 'vanessa/tacos:latest');
    const wrong = await fetch(image.replace(/[^/]+$/, '00000000-0000-4000-8000-000000000000'));
    assert.equal(wrong.status, 404);
    assert.match(wrong.headers.get('content-type') ?? '', /text\/html/);
    assert.equal((await fetch(image.replace(/containers\/\d+/, 'containers/999'))).status, 404);
    const secret = reg.containers().find((c) => c.name === 'secret');
    const res = await fetch(String(secret?.image));
    assert.equal(res.status, 200);
    assert.equal((await res.arrayBuffer()).byteLength, 10);
  });

  it('names a frozen container by its version in Content-Disposition', async () => {
    reg.freeze('vanessa', 'tacos');
    const info = reg.containers()[0];
    const head = await fetch(info.image, { method: 'HEAD' });
    assert.equal(head.headers.get('content-disposition'), `attachment; filename="vanessa-tacos:${info.version}.sif"`);
    reg.freeze('vanessa', 'tacos', 'latest', false);
  });
});

describe('download with rangeSupport', () => {
  let reg: RegistryServerHandle;
  before(async () => {
    reg = await startRegistryServer({ rangeSupport: true, seed: [{ name: 'vanessa', containers: [{ name: 'tacos', file: bytes }] }] });
  });
  after(() => reg.close());

  it('answers a Range with 206, Content-Range and Accept-Ranges', async () => {
    const { image } = reg.containers()[0];
    const res = await fetch(image, { headers: { Range: 'bytes=1000-' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    assert.equal(res.headers.get('content-range'), `bytes 1000-${bytes.length - 1}/${bytes.length}`);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(1000)));
    const suffix = await fetch(image, { headers: { Range: 'bytes=-10' } });
    assert.ok(Buffer.from(await suffix.arrayBuffer()).equals(bytes.subarray(-10)));
  });

  it('answers an unsatisfiable Range with 416', async () => {
    const res = await fetch(reg.containers()[0].image, { headers: { Range: `bytes=${bytes.length}-` } });
    assert.equal(res.status, 416);
    assert.equal(res.headers.get('content-range'), `bytes */${bytes.length}`);
  });
});
