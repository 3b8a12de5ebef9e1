// What a new user meets with the registry plugin: the token file saved but never activated, delete of an
// image that is not there, a push of a file that is not an image, and backend add/ls with the declared settings.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { RegistryServerHandle } from '@sregistry/testkit';
import { sampleSif } from '@sregistry/testkit';
import { announceLine, type E2eHome, serverContainer, useE2eRegistry } from './e2e-helpers';

let server: RegistryServerHandle;
let e: E2eHome;

useE2eRegistry((started, home) => {
  server = started;
  e = home;
});

test('a token file saved as ~/.sregistry but no active backend: the warning names it and how to activate it', async () => {
  const r = await e.run(['search'], { env: { SREGISTRY_CLIENT: undefined } });
  assert.equal(r.code, 1);
  const [warning, error, ...rest] = r.stderr.trimEnd().split('\n');
  assert.equal(
    warning,
    `WARNING no backend is active, so hub is used, but ${e.secretsFile} configures registry; run: sregistry backend activate registry`,
  );
  assert.match(error as string, /^ERROR Singularity Hub is a read-only archive/);
  assert.deepEqual(rest, []);
  const chosen = await e.run(['search'], { env: { SREGISTRY_CLIENT: 'registry' } });
  assert.doesNotMatch(chosen.stderr, /no backend is active/);
});

test('delete of an image that is not there fails before asking, in one line', async () => {
  const r = await e.run(['delete', 'vanessa/nothere:latest'], { input: 'y\n' });
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.stderr, /Are you sure/);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^ERROR .*vanessa\/nothere:latest/);
});

test('delete names the image once: "[delete] <uri> Deleted"', async () => {
  const r = await e.run(['delete', 'vanessa/tacos:latest'], { input: 'y\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Are you sure you want to remove vanessa\/tacos:latest\?/);
  assert.equal(r.stdout, `${announceLine(e)}\n[delete] vanessa/tacos:latest Deleted\n`);
  assert.equal(serverContainer(server, 'vanessa/tacos:latest'), undefined);
});

test('push of a file that is not an image warns as add does, and goes ahead; a SIF gives no warning', async () => {
  const text = path.join(e.work, 'notes.txt');
  fs.writeFileSync(text, 'not an image\n');
  const r = await e.run(['push', text, '--name', 'dinosaur/notes:v1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, `WARNING ${text} is not a SIF, squashfs or ext3 image; pushing it anyway\n`);
  const add = await e.run(['add', text, '--name', 'dinosaur/notes:v1']);
  assert.equal(add.stderr, `WARNING ${text} is not a SIF, squashfs or ext3 image; adding it anyway\n`);
  const sif = path.join(e.work, 'good.sif');
  await sampleSif(sif);
  const good = await e.run(['push', sif, '--name', 'dinosaur/good:v1']);
  assert.deepEqual({ code: good.code, stderr: good.stderr }, { code: 0, stderr: '' });
});

test('backend add registry refuses a setting it does not declare; backend ls lists the declared ones', async () => {
  const before = fs.readFileSync(e.secretsFile, 'utf8');
  const r = await e.run(['backend', 'add', 'registry', 'tokn', 'x']);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    'ERROR registry has no setting SREGISTRY_REGISTRY_TOKN; did you mean token? its settings: base, username, token, nohttps (store it anyway with --force)\n',
  );
  assert.equal(fs.readFileSync(e.secretsFile, 'utf8'), before);
  fs.writeFileSync(e.secretsFile, '{}', { mode: 0o600 });
  try {
    const ls = await e.run(['backend', 'ls', 'registry']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^registry is installed and has no settings in /);
    assert.match(ls.stdout, /SREGISTRY_REGISTRY_BASE +the Registry Server address/);
    assert.match(ls.stdout, /add one with: sregistry backend add registry base <value>\n$/);
  } finally {
    fs.writeFileSync(e.secretsFile, before, { mode: 0o600 });
  }
});
