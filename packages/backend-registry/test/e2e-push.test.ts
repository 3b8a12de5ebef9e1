// `sregistry push` (plugin command) through the real CLI: the two-step signed upload, read back by a pull
// byte for byte; --tag; a frozen tag; a wrong token (one line, never printed); --json and --quiet.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { RegistryServerHandle } from '@sregistry/testkit';
import { SifFsType, SifPartType, sampleSif } from '@sregistry/testkit';
import {
  announceLine,
  assertOneLineError,
  type E2eHome,
  md5,
  randomBytes,
  serverContainer,
  sha256,
  TOKEN,
  USER,
  useE2eRegistry,
} from './e2e-helpers';

let server: RegistryServerHandle;
let e: E2eHome;
let image: string;

useE2eRegistry(async (started, home) => {
  server = started;
  e = home;
  // a real SIF (push warns about anything else) around a 2 MiB partition of random bytes
  image = path.join(e.home, 'tacos-copy.sif');
  const data = randomBytes(2 * 1024 * 1024 + 17, 11);
  await sampleSif(image, { partition: { data, fsType: SifFsType.Squashfs, partType: SifPartType.PrimSys, arch: 'amd64' } });
});

test('push, then pull back: the same bytes, and the server holds the file under its md5', async () => {
  const r = await e.run(['push', image, '--name', 'dinosaur/tacos-copy:v1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    `${announceLine(e)}\ndinosaur/tacos-copy:v1 is version ${md5(image)} on the registry for now (provisional: it becomes sha256.${sha256(image)} once the registry has re-hashed the file)\n[push] dinosaur/tacos-copy:v1 Upload Complete\n`,
  );
  const held = serverContainer(server, 'dinosaur/tacos-copy:v1');
  assert.ok(held?.path);
  assert.equal(held.version, md5(image));
  assert.equal(sha256(held.path), sha256(image));

  const signed = server.requests.filter((q) => q.method === 'POST').map((q) => String(q.headers.authorization).split('/')[0]);
  assert.deepEqual(signed, ['SREGISTRY-HMAC-SHA256 Credential=push', 'SREGISTRY-HMAC-SHA256 Credential=upload']);

  const pulled = await e.run(['pull', '--no-cache', '--name', 'back.sif', 'dinosaur/tacos-copy:v1']);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.equal(sha256(path.join(e.work, 'back.sif')), sha256(image), 'pulled back byte-identical');
});

test('--tag overrides the tag of --name', async () => {
  const r = await e.run(['push', image, '--name', 'dinosaur/tagged:latest', '--tag', 'v2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\[push\] dinosaur\/tagged:v2 Upload Complete\n$/);
  assert.ok(serverContainer(server, 'dinosaur/tagged:v2'));
  assert.equal(serverContainer(server, 'dinosaur/tagged:latest'), undefined);
});

test('a frozen tag: one line that says frozen, exit 1, the server keeps its file', async () => {
  await server.addContainer({ collection: 'dinosaur', name: 'icy', tag: 'v1', file: Buffer.from('frozen bytes\n'), frozen: true });
  const heldBefore = serverContainer(server, 'dinosaur/icy:v1');
  assert.ok(heldBefore?.path);
  const r = await e.run(['push', image, '--name', 'dinosaur/icy:v1']);
  assertOneLineError(r, /frozen/);
  const heldAfter = serverContainer(server, 'dinosaur/icy:v1');
  assert.equal(heldAfter?.version, heldBefore.version);
  assert.equal(fs.readFileSync(heldAfter!.path!, 'utf8'), 'frozen bytes\n');
});

test('a wrong token: one line, exit 1, and neither token nor signature is ever printed (even with --debug)', async () => {
  const wrong = 'badc0ffee0'.repeat(4);
  const count = server.containers().length;
  for (const extra of [[], ['--debug']]) {
    const r = await e.run(['push', image, '--name', 'dinosaur/refused:v1', ...extra], { env: { SREGISTRY_REGISTRY_TOKEN: wrong } });
    assert.equal(r.code, 1, r.stderr);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('ERROR'));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0], /refused/);
    for (const secret of [wrong, TOKEN]) assert.ok(!(r.stdout + r.stderr).includes(secret), 'no token in the output');
    assert.doesNotMatch(r.stdout + r.stderr, /Signature=[0-9a-f]/);
    if (extra.length === 0) assert.equal(r.stderr.trimEnd().split('\n').length, 1);
  }
  assert.equal(server.containers().length, count, 'nothing stored');
});

test('--json prints the uri, size and the version the server confirmed', async () => {
  const r = await e.run(['push', image, '--name', 'dinosaur/tacos-json:v1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.uri, 'dinosaur/tacos-json:v1');
  assert.equal(doc.size, fs.statSync(image).size);
  assert.equal(doc.version, md5(image));
  assert.equal(doc.backend, 'registry');
});

test('--quiet hides the announce line; a missing file fails before any request', async () => {
  const quiet = await e.run(['push', image, '--name', `${USER}/quiet:v1`, '--quiet']);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stdout, '[push] dinosaur/quiet:v1 Upload Complete\n');

  const mark = server.requests.length;
  const missing = await e.run(['push', 'nope.sif', '--name', 'dinosaur/nope:v1']);
  assertOneLineError(missing, /nope\.sif does not exist/);
  assert.equal(server.requests.length, mark, 'no request was sent');
});
