// `sregistry pull` against the fake registry through the real CLI: the original's output shapes (client-spec §6.4),
// public and private (HMAC) images, --name, --no-cache, --force, --json, --quiet, and what a failed pull leaves.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { RegistryServerHandle } from '@sregistry/testkit';
import { tempBeside } from '../../core/src/storage/temp-files';
import {
  announceLine,
  assertNoTrace,
  assertOneLineError,
  catalogRows,
  type E2eHome,
  registryHome,
  serverContainer,
  sha256,
  snapshot,
  TOKEN,
  USER,
  useE2eRegistry,
} from './e2e-helpers';

let server: RegistryServerHandle;
let e: E2eHome;

useE2eRegistry((started, home) => {
  server = started;
  e = home;
});

function tacos() {
  const c = serverContainer(server, 'vanessa/tacos:latest');
  assert.ok(c?.path);
  return { ...c, sha256: sha256(c.path) };
}

test('pull of a public image: announce, [container][new], Success! <storage path>, one catalogue row', async () => {
  const { sha256: sha, id } = tacos();
  const r = await e.run(['pull', 'vanessa/tacos:latest']);
  assert.equal(r.code, 0, r.stderr);
  const stored = path.join(e.storage, 'vanessa', 'tacos', `latest@${sha}.sif`);
  assert.equal(r.stdout, `${announceLine(e)}\n[container][new] vanessa/tacos:latest@${sha}\nSuccess! ${stored}\n`);
  assert.equal(r.stderr, '');
  assert.equal(sha256(stored), sha, 'the stored bytes are the server’s');
  const rows = catalogRows(e);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].uri, `vanessa/tacos:latest@${sha}`);
  assert.equal(rows[0].image, stored);
  assert.equal(rows[0].client, 'registry');
  // the manifest's download URL, as the original stored it, with the collection secret masked
  assert.equal(rows[0].url, `${server.url}/containers/${id}/download/***`);
  assert.deepEqual(
    server.requests.filter((q) => q.method === 'GET').map((q) => q.headers.authorization),
    [undefined, undefined],
    'a public image is fetched without credentials',
  );
});

test('a second pull of the same image says [container][update] and keeps one row', async () => {
  const { sha256: sha } = tacos();
  const r = await e.run(['pull', 'registry://vanessa/tacos']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[1], `[container][update] vanessa/tacos:latest@${sha}`);
  assert.equal(catalogRows(e).length, 1);
});

test('pull of a private image signs the request (HMAC) and stores it', async () => {
  const secret = serverContainer(server, 'dinosaur/secret:latest');
  assert.ok(secret?.path);
  const sha = sha256(secret.path);
  const mark = server.requests.length;
  const r = await e.run(['pull', 'dinosaur/secret:latest']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`\\[container\\]\\[new\\] dinosaur/secret:latest@${sha}\\n`));
  assert.equal(sha256(path.join(e.storage, 'dinosaur', 'secret', `latest@${sha}.sif`)), sha);
  const signed = server.requests.slice(mark).find((q) => q.path === '/api/container/dinosaur/secret:latest' && q.headers.authorization);
  assert.ok(signed, 'the manifest request carried a signature');
  const user64 = Buffer.from(USER).toString('base64');
  assert.match(
    String(signed.headers.authorization),
    new RegExp(`^SREGISTRY-HMAC-SHA256 Credential=pull/${user64}/\\d{8}T\\d{2}Z,Signature=[0-9a-f]{64}$`),
  );
  assert.doesNotMatch(r.stdout + r.stderr, new RegExp(TOKEN));
  // the download URL's collection secret fetches the private image without a token: it must not be catalogued
  const download = server.requests.slice(mark).find((q) => q.path.includes('/download/'));
  assert.ok(download, 'the image was downloaded');
  const collectionSecret = download.path.split('/download/')[1].replace(/\/$/, '');
  assert.ok(collectionSecret.length >= 32);
  const inspect = await e.run(['inspect', 'dinosaur/secret:latest', '--json']);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.ok(!inspect.stdout.includes(collectionSecret), 'the collection secret is not kept in the catalogue');
});

test('a private image without credentials fails in one line and leaves nothing', async () => {
  const anon = await registryHome(server, { registry: { base: server.url } });
  try {
    const before = snapshot(anon);
    const r = await anon.run(['pull', 'dinosaur/secret:latest']);
    assertOneLineError(r, /SREGISTRY_REGISTRY_(USERNAME|TOKEN)/);
    assertNoTrace(anon, before);
  } finally {
    anon.cleanup();
  }
});

test('--no-cache writes vanessa-tacos:latest.sif into the current folder and adds no row', async () => {
  const { sha256: sha } = tacos();
  const rowsBefore = catalogRows(e);
  const r = await e.run(['pull', '--no-cache', 'vanessa/tacos:latest']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${announceLine(e)}\nSuccess! vanessa-tacos:latest.sif\n`);
  assert.equal(sha256(path.join(e.work, 'vanessa-tacos:latest.sif')), sha);
  assert.deepEqual(catalogRows(e), rowsBefore, 'the catalogue is untouched');
});

test('a partial file that a killed pull left beside the destination is removed by the next pull there', async () => {
  const dest = path.join(e.work, 'vanessa-tacos:latest.sif');
  fs.rmSync(dest, { force: true });
  const leftover = tempBeside(dest, { pid: 2 ** 22 + 1, token: 'dead0000' }); // a pid above Linux's pid_max: its process is gone
  const alive = tempBeside(dest, { pid: process.pid, token: 'a11e0000' });
  fs.writeFileSync(leftover, 'half an image');
  fs.writeFileSync(alive, 'another pull still running');
  const r = await e.run(['pull', '--no-cache', 'vanessa/tacos:latest']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!fs.existsSync(leftover), 'the dead pull’s partial file is gone');
  assert.ok(fs.existsSync(alive), 'a running pull’s file is left alone');
  fs.rmSync(alive);
  assert.equal(sha256(dest), tacos().sha256);
});

test('--no-cache prints the file as named: a name as typed, an absolute path whole, the default name in this folder', async () => {
  const absolute = path.join(e.work, 'abs-named.sif');
  for (const [args, shown] of [
    [['--name', absolute], absolute],
    [['--name', 'plain-named.sif'], 'plain-named.sif'],
    [[], 'vanessa-tacos:latest.sif'],
  ] as const) {
    const r = await e.run(['pull', '--no-cache', ...args, 'vanessa/tacos:latest']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.endsWith(`\nSuccess! ${shown}\n`), r.stdout);
    fs.rmSync(path.resolve(e.work, shown));
  }
});

test('--name of a folder (an existing one, or any path ending in /) saves into it under <collection>-<name>:<tag>.sif', async () => {
  const { sha256: sha } = tacos();
  const base = 'vanessa-tacos:latest.sif';
  const existing = path.join(e.work, 'a-folder');
  fs.mkdirSync(existing);
  try {
    // --no-cache: into an existing folder (with or without the slash), and into a missing one, made
    for (const [name, folder] of [
      ['a-folder', existing],
      ['a-folder/', existing],
      ['newdir/', path.join(e.work, 'newdir')],
      ['deeper/still/', path.join(e.work, 'deeper', 'still')],
    ]) {
      const r = await e.run(['pull', '--no-cache', '--name', name, 'vanessa/tacos:latest']);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`\\nSuccess! ${path.join(name, base).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`), name);
      assert.ok(fs.statSync(folder).isDirectory(), `${name}: a folder, not a file`);
      assert.deepEqual(fs.readdirSync(folder), [base], name);
      assert.equal(sha256(path.join(folder, base)), sha);
      fs.rmSync(path.join(folder, base));
    }
    // with the catalogue: the record points into the folder
    const catalogued = path.join(e.home, 'images', 'in-here');
    const r = await e.run(['pull', '--name', `${catalogued}/`, 'vanessa/tacos:latest']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[container\]\[(new|update)\] vanessa\/tacos:latest@/);
    const file = path.join(catalogued, base);
    assert.equal(sha256(file), sha);
    assert.equal(catalogRows(e).find((x) => x.uri === `vanessa/tacos:latest@${sha}`)?.image, file);
    // a path ending in / that is a file: refused, the file kept
    fs.writeFileSync(path.join(e.work, 'plain'), 'keep');
    const refused = await e.run(['pull', '--no-cache', '--name', 'plain/', 'vanessa/tacos:latest']);
    assert.equal(refused.code, 1);
    assertOneLineError(refused, /plain is a file, not a folder; give a folder, or a path inside one/);
    assert.equal(fs.readFileSync(path.join(e.work, 'plain'), 'utf8'), 'keep');
    // back to the storage path for the tests that follow
    assert.equal(
      (await e.run(['pull', '--name', path.join(e.storage, 'vanessa', 'tacos', `latest@${sha}.sif`), 'vanessa/tacos:latest', '--force']))
        .code,
      0,
    );
  } finally {
    for (const dir of ['a-folder', 'newdir', 'deeper', 'plain']) fs.rmSync(path.join(e.work, dir), { recursive: true, force: true });
    fs.rmSync(path.join(e.home, 'images', 'in-here'), { recursive: true, force: true });
  }
});

test('an existing file is refused without --force (file untouched) and replaced with it', async () => {
  const file = path.join(e.work, 'vanessa-tacos:latest.sif');
  fs.writeFileSync(file, 'not the image');
  const refused = await e.run(['pull', '--no-cache', 'vanessa/tacos:latest']);
  assertOneLineError(refused, /Image exists!.*--force/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'not the image');
  assert.deepEqual(
    fs.readdirSync(e.work).filter((f) => f.endsWith('.tmp')),
    [],
    'no partial file beside it',
  );
  const forced = await e.run(['pull', '--no-cache', '--force', 'vanessa/tacos:latest']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(sha256(file), tacos().sha256);
});

test('a file no image owns at the storage path is kept: refused before the download, replaced with --force', async () => {
  // the server's worker has given its versions as sha256.<hex>: the client knows the storage path before the download
  await server.rehash();
  const { sha256: sha, path: served } = tacos();
  await e.run(['rmi', 'vanessa/tacos:latest']);
  const stored = path.join(e.storage, 'vanessa', 'tacos', `latest@${sha}.sif`);
  fs.mkdirSync(path.dirname(stored), { recursive: true });
  fs.writeFileSync(stored, 'put here by hand');
  const downloads = () => server.requests.filter((q) => q.url.includes('/download/')).length;
  const before = downloads();
  const refused = await e.run(['pull', 'vanessa/tacos:latest']);
  assertOneLineError(refused, /pull: .*latest@[0-9a-f]{64}\.sif exists.*--force/);
  assert.equal(fs.readFileSync(stored, 'utf8'), 'put here by hand');
  assert.equal(downloads(), before, 'nothing was downloaded only to be refused');
  assert.equal(catalogRows(e).filter((x) => x.uri.startsWith('vanessa/tacos:')).length, 0);

  // the same bytes (a catalogue made again over the same storage) are taken as they are
  fs.copyFileSync(served, stored);
  const same = await e.run(['pull', 'vanessa/tacos:latest']);
  assert.equal(same.code, 0, same.stderr);
  assert.equal(sha256(stored), sha);

  await e.run(['rmi', 'vanessa/tacos:latest']);
  fs.mkdirSync(path.dirname(stored), { recursive: true });
  fs.writeFileSync(stored, 'put here by hand');
  const forced = await e.run(['pull', '--force', 'vanessa/tacos:latest']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(sha256(stored), sha);
});

test('--name with --no-cache names the file; --name with the catalogue stores it there and records that path', async () => {
  const { sha256: sha } = tacos();
  const custom = await e.run(['pull', '--no-cache', '--name', 'custom.sif', 'vanessa/tacos:latest']);
  assert.equal(custom.code, 0, custom.stderr);
  assert.match(custom.stdout, /\nSuccess! custom\.sif\n$/);
  assert.equal(sha256(path.join(e.work, 'custom.sif')), sha);

  const dest = path.join(e.home, 'images', 'secret-copy.sif');
  const named = await e.run(['pull', '--name', dest, 'dinosaur/secret:latest', '--force']);
  assert.equal(named.code, 0, named.stderr);
  assert.match(named.stdout, new RegExp(`\\nSuccess! ${dest.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
  assert.ok(fs.existsSync(dest));
  const row = catalogRows(e).find((x) => x.uri.startsWith('dinosaur/secret:latest@'));
  assert.equal(row?.image, dest);
});

test('pulling again to the same --name refreshes the file its own record owns: exit 0, [container][update], one row', async () => {
  const c = serverContainer(server, 'vanessa/tacolicious:gobacktosleep');
  assert.ok(c?.path);
  const sha = sha256(c.path);
  const file = path.join(e.work, 'same.sif');
  try {
    const first = await e.run(['pull', 'vanessa/tacolicious:gobacktosleep', '--name', 'same.sif']);
    assert.equal(first.code, 0, first.stderr);
    const again = await e.run(['pull', 'vanessa/tacolicious:gobacktosleep', '--name', 'same.sif']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr, '');
    assert.match(again.stdout, new RegExp(`\\[container\\]\\[update\\] vanessa/tacolicious:gobacktosleep@${sha}\\n`));
    assert.equal(sha256(file), sha);
    const rows = catalogRows(e).filter((x) => x.uri.startsWith('vanessa/tacolicious:gobacktosleep@'));
    assert.deepEqual(
      rows.map((x) => x.image),
      [file],
    );
    assert.deepEqual(
      fs.readdirSync(e.work).filter((f) => f.endsWith('.tmp')),
      [],
      'no partial file beside it',
    );
  } finally {
    await e.run(['rm', 'vanessa/tacolicious:gobacktosleep']);
    fs.rmSync(file, { force: true });
  }
});

test('--no-cache to a file that already has the very bytes succeeds without --force; other bytes of that size are kept', async () => {
  const { sha256: sha, path: served } = tacos();
  const file = path.join(e.work, 'idem.sif');
  try {
    // the registry states an md5 (the sha256s are compared after the download); a sha256 asked for is compared before
    for (const uri of ['vanessa/tacos:latest', `vanessa/tacos:latest@sha256.${sha}`]) {
      for (let i = 0; i < 2; i++) {
        const r = await e.run(['pull', '--no-cache', '--name', 'idem.sif', uri]);
        assert.equal(r.code, 0, `${uri} run ${i}: ${r.stderr}`);
        assert.match(r.stdout, /\nSuccess! idem\.sif\n$/);
        assert.equal(sha256(file), sha);
      }
      // the same size, other bytes: refused (after the download when nothing said the digest), the file kept
      const other = Buffer.from(fs.readFileSync(served));
      other[other.length - 1] ^= 0xff;
      fs.writeFileSync(file, other);
      const refused = await e.run(['pull', '--no-cache', '--name', 'idem.sif', uri]);
      assertOneLineError(refused, /Image exists! .*idem\.sif; remove it first, or use --force to overwrite/);
      assert.deepEqual(fs.readFileSync(file), other, 'the other bytes were kept');
      assert.deepEqual(
        fs.readdirSync(e.work).filter((f) => f.endsWith('.tmp')),
        [],
        'no partial file beside it',
      );
      fs.rmSync(file);
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
});

test('--json prints one document with the path and uri; --quiet hides only the announce line', async () => {
  const { sha256: sha } = tacos();
  const json = await e.run(['pull', '--json', 'vanessa/tacos:latest']);
  assert.equal(json.code, 0, json.stdout);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.uri, `vanessa/tacos:latest@${sha}`);
  assert.equal(doc.path, path.join(e.storage, 'vanessa', 'tacos', `latest@${sha}.sif`));
  assert.equal(doc.sha256, sha);
  assert.equal(doc.backend, 'registry');
  assert.equal(doc.cached, true);

  const quiet = await e.run(['pull', '--quiet', 'vanessa/tacos:latest']);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.ok(!quiet.stdout.includes('[client|registry]'), 'no announce line');
  assert.match(quiet.stdout, /^\[container\]\[update\] vanessa\/tacos:latest@[0-9a-f]{64}\nSuccess! /);
});

test('a missing image: one line naming it, exit 1, no file and no row', async () => {
  const before = snapshot(e);
  const r = await e.run(['pull', 'vanessa/nope:latest']);
  assertOneLineError(r, /vanessa\/nope:latest/);
  assertNoTrace(e, before);
  const noCache = await e.run(['pull', '--no-cache', 'vanessa/nope:latest']);
  assertOneLineError(noCache, /vanessa\/nope:latest/);
  assertNoTrace(e, before);
});

test('a frozen image pulls by the name `search collection/` lists it under (collection/name:<version>)', async () => {
  const info = await server.addContainer({
    collection: 'glacier',
    name: 'icy',
    tag: 'v1',
    file: Buffer.from('frozen bytes\n'),
    frozen: true,
  });
  const listed = await e.run(['search', 'glacier/']);
  assert.equal(listed.code, 0, listed.stderr);
  const shown = `glacier/icy:${info.version}`;
  assert.match(listed.stdout, new RegExp(shown), 'the collection lists the frozen container by its version');

  const r = await e.run(['pull', shown]);
  assert.equal(r.code, 0, r.stderr);
  const sha = sha256(info.path!);
  assert.match(r.stdout, new RegExp(`\\[container\\]\\[new\\] glacier/icy:v1@${sha}\\n`), 'catalogued under its real tag');
  assert.equal(sha256(path.join(e.storage, 'glacier', 'icy', `v1@${sha}.sif`)), sha);

  const missing = await e.run(['pull', 'glacier/icy:0123456789abcdef0123456789abcdef']);
  assertOneLineError(missing, /glacier\/icy:0123456789abcdef0123456789abcdef was not found/);
});
