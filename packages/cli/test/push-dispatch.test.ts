// `push` is core's command, registered by every plugin whose backend can push. A third-party backend that can
// pull and push (the shelf fixture), linked without the registry plugin, is pushed to through `sregistry push`;
// with the registry plugin linked as well, each URI goes to its own backend, whichever plugin's copy oclif runs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RegistryServerHandle, sampleSif, startRegistryServer } from '@sregistry/testkit';
import { cliInTempHome } from './helpers';

const PACKAGES = path.resolve(__dirname, '..', '..');
const SHELF_FIXTURE = path.join(PACKAGES, 'testkit', 'fixtures', 'backend-shelf');
const REGISTRY_PLUGIN = path.join(PACKAGES, 'backend-registry');
const USER = 'dinosaur';
const TOKEN = 'd15pa7c4'.repeat(5);

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The shelf: takes multipart POSTs to /upload (field `name`, then the file) and serves what it holds. */
async function startShelf() {
  const shelved = new Map<string, Buffer>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/upload') {
        const boundary = /boundary=(.+)$/.exec(String(req.headers['content-type']))?.[1];
        const body = Buffer.concat(chunks);
        const parts = body.toString('latin1').split(`--${boundary}`);
        const field = (n: string) => parts.find((p) => p.includes(`name="${n}"`));
        const value = (p: string | undefined) => p?.slice(p.indexOf('\r\n\r\n') + 4, -2);
        const name = value(field('name'));
        const file = value(field('file'));
        if (!name || file === undefined) return res.writeHead(400).end();
        shelved.set(name, Buffer.from(file, 'latin1'));
        res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      const match = /^\/(.+)\/([^/]+)\/([^/]+)\.sif$/.exec(decodeURIComponent(req.url ?? ''));
      const held = match ? shelved.get(`${match[1]}/${match[2]}:${match[3]}`) : undefined;
      if (!held) return res.writeHead(404).end();
      res.writeHead(200, { 'content-length': held.length });
      res.end(req.method === 'HEAD' ? undefined : held);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url, shelved, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('push through core’s command', { timeout: 600_000 }, () => {
  const cli = cliInTempHome();
  let shelf: Awaited<ReturnType<typeof startShelf>>;
  let registry: RegistryServerHandle;
  let env: Record<string, string>;
  const image = path.join(cli.home, 'tool.sif');
  // a real SIF: a pull refuses a non-image when the service gives no digest to check it against
  let bytes: Buffer;

  before(async () => {
    shelf = await startShelf();
    registry = await startRegistryServer({
      users: [{ username: USER, token: TOKEN }],
      seed: [{ name: USER, owners: [USER], containers: [] }],
    });
    env = {
      SREGISTRY_SHELF_BASE: shelf.url,
      SREGISTRY_REGISTRY_BASE: registry.url,
      SREGISTRY_REGISTRY_USERNAME: USER,
      SREGISTRY_REGISTRY_TOKEN: TOKEN,
    };
    await sampleSif(image);
    bytes = fs.readFileSync(image);
    // a copy outside the checkout: it can only use the CLI's core
    const plugin = path.join(cli.home, 'backend-shelf');
    fs.cpSync(SHELF_FIXTURE, plugin, { recursive: true });
    const link = await cli.run(['plugins', 'link', plugin, '--no-install']);
    assert.equal(link.code, 0, link.stdout + link.stderr);
  });
  after(async () => {
    cli.cleanup();
    await shelf?.close();
    await registry?.close();
  });

  test('a third-party backend without the registry plugin: sregistry push reaches it, and the image pulls back', async () => {
    const push = await cli.run(['push', image, '--name', 'shelf://team/tool:v1'], { env });
    assert.equal(push.code, 0, push.stdout + push.stderr);
    assert.match(push.stdout, /\[push\] team\/tool:v1 Shelved/);
    assert.equal(sha256(shelf.shelved.get('team/tool:v1') ?? Buffer.alloc(0)), sha256(bytes));
    const pull = await cli.run(['pull', 'shelf://team/tool:v1'], { env });
    assert.equal(pull.code, 0, pull.stdout + pull.stderr);
    const stored = /^Success! (.+)$/m.exec(pull.stdout)?.[1];
    assert.ok(stored && sha256(fs.readFileSync(stored)) === sha256(bytes));
  });

  test('its help is the generic one', async () => {
    const help = await cli.run(['push', '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Push an image file to a remote backend\./);
    assert.match(help.stdout, /--name=<value>\s+\(required\) \[<scheme>:\/\/\]\[host\/\]collection\/name\[:tag\]/);
    assert.doesNotMatch(help.stdout, /Singularity Registry Server/);
  });

  test('with the registry plugin linked as well, each URI goes to its own backend', async () => {
    const link = await cli.run(['plugins', 'link', REGISTRY_PLUGIN, '--no-install']);
    assert.equal(link.code, 0, link.stdout + link.stderr);
    const toShelf = await cli.run(['push', image, '--name', 'shelf://team/tool:v2'], { env });
    assert.equal(toShelf.code, 0, toShelf.stdout + toShelf.stderr);
    assert.ok(shelf.shelved.has('team/tool:v2'));
    const toRegistry = await cli.run(['push', image, '--name', `registry://${USER}/tool:v2`], { env });
    assert.equal(toRegistry.code, 0, toRegistry.stdout + toRegistry.stderr);
    assert.match(toRegistry.stdout, /Upload Complete/);
    assert.ok(registry.containers().some((c) => `${c.collection}/${c.name}:${c.tag}` === `${USER}/tool:v2`));
    assert.ok(!shelf.shelved.has(`${USER}/tool:v2`), 'the registry URI did not reach the shelf');
    // delete is the registry plugin's only: the shelf cannot delete, and says so in one line
    const del = await cli.run(['delete', '--force', 'shelf://team/tool:v2'], { env });
    assert.equal(del.code, 1, del.stdout + del.stderr);
    assert.match(del.stderr, /^ERROR delete is not implemented for shelf; /);
  });
});

describe('a plugin made for another core that registers the same push command', { timeout: 600_000 }, () => {
  const cli = cliInTempHome();
  let shelf: Awaited<ReturnType<typeof startShelf>>;
  const image = path.join(cli.home, 'tool.sif');

  before(async () => {
    shelf = await startShelf();
    await sampleSif(image);
  });
  after(async () => {
    cli.cleanup();
    await shelf?.close();
  });

  test('does not take push from the plugins that fit, whichever is linked first', async () => {
    const env = { SREGISTRY_SHELF_BASE: shelf.url, SREGISTRY_INCOMPAT_BASE: shelf.url };
    // the shelf again, as a plugin for a core that does not exist yet: its backend and its command are unusable
    const incompat = path.join(cli.home, 'p-incompat');
    fs.cpSync(SHELF_FIXTURE, incompat, { recursive: true });
    const pjson = JSON.parse(fs.readFileSync(path.join(incompat, 'package.json'), 'utf8'));
    Object.assign(pjson, { name: 'p-incompat', version: '0.2.0', sregistry: { backends: { incompat: './backend.js' } } });
    pjson.peerDependencies = { '@sregistry/core': '>=2.0.0 <3' };
    fs.writeFileSync(path.join(incompat, 'package.json'), JSON.stringify(pjson));
    const good = path.join(cli.home, 'backend-shelf');
    fs.cpSync(SHELF_FIXTURE, good, { recursive: true });
    for (const [first, second, tag] of [
      [incompat, good, 'v1'],
      [good, incompat, 'v2'],
    ] as const) {
      for (const folder of [first, second]) {
        const link = await cli.run(['plugins', 'link', folder, '--no-install']);
        assert.equal(link.code, 0, link.stdout + link.stderr);
      }
      const toShelf = await cli.run(['push', image, '--name', `shelf://team/tool:${tag}`], { env });
      assert.equal(toShelf.code, 0, toShelf.stdout + toShelf.stderr);
      assert.ok(shelf.shelved.has(`team/tool:${tag}`));
      const toIncompat = await cli.run(['push', image, '--name', 'incompat://team/tool:v1'], { env });
      assert.equal(toIncompat.code, 1, toIncompat.stdout + toIncompat.stderr);
      assert.match(
        toIncompat.stderr,
        /^ERROR The backend "incompat" cannot be used: p-incompat@0\.2\.0 needs @sregistry\/core >=2\.0\.0 <3, but the installed core is /,
      );
      assert.equal(toIncompat.stderr.trim().split('\n').length, 1, toIncompat.stderr);
      for (const name of ['p-incompat', 'sregistry-backend-shelf']) {
        assert.equal((await cli.run(['plugins', 'unlink', name])).code, 0);
      }
    }
  });
});
