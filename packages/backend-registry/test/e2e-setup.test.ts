// The registry backend as a plugin, seen from the CLI: not linked → every registry command says how to install
// it; linked → listed with its capabilities; a registry that is not there → one line per command, exit 1.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type RegistryServerHandle, sampleSif, startRegistryServer } from '@sregistry/testkit';
import { assertNoTrace, assertOneLineError, registryHome, snapshot, startE2eRegistry, TOKEN } from './e2e-helpers';

let server: RegistryServerHandle;

before(async () => {
  server = await startE2eRegistry();
});
after(() => server?.close());

// the CLI runs from this checkout: the hint links its plugin folder (the packages are not on the public npm registry)
const INSTALL_HINT = /run: sregistry plugins link \/\S*\/packages\/backend-registry --no-install/;

test('SREGISTRY_CLIENT=registry without the plugin: exit 1 with the install command, for every command', async () => {
  const bare = await registryHome(server, { link: false });
  try {
    const before = snapshot(bare);
    for (const args of [['pull', 'vanessa/tacos:latest'], ['search'], ['labels'], ['pull', 'registry://vanessa/tacos']]) {
      assertOneLineError(await bare.run(args), INSTALL_HINT);
    }
    // push and delete are the plugin's own commands: without it oclif does not know them
    const push = await bare.run(['push', 'x.sif', '--name', 'a/b']);
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /push/);
    assertNoTrace(bare, before);
    assert.equal(server.requests.length, 0, 'nothing reached the registry');
  } finally {
    bare.cleanup();
  }
});

test('linked: backend ls lists registry with its capabilities, and never the token', async () => {
  const home = await registryHome(server);
  try {
    const ls = await home.run(['backend', 'ls']);
    assert.equal(ls.code, 0, ls.stderr);
    const line = ls.stdout.split('\n').find((l) => /\bregistry\b/.test(l));
    assert.ok(line, ls.stdout);
    for (const capability of ['pull', 'push', 'search', 'delete', 'labels']) assert.match(line, new RegExp(capability));
    const settings = await home.run(['backend', 'ls', 'registry']);
    assert.equal(settings.code, 0, settings.stderr);
    assert.ok(!(settings.stdout + settings.stderr).includes(TOKEN), 'the token is masked');
  } finally {
    home.cleanup();
  }
});

test('an unreachable registry (closed port): search, push, delete and labels fail in one line naming it', async () => {
  const gone = await startRegistryServer();
  const url = gone.url;
  await gone.close();
  const home = await registryHome({ url });
  try {
    const image = path.join(home.work, 'x.sif');
    await sampleSif(image); // an image: push warns about anything else
    const before = snapshot(home);
    for (const args of [
      ['search'],
      ['search', 'vanessa/tacos:latest'],
      ['labels'],
      ['push', image, '--name', 'dinosaur/x:v1'],
      ['delete', '--force', 'vanessa/tacos:latest'],
    ]) {
      assertOneLineError(await home.run(args), new RegExp(`cannot reach ${url.replace(/\./g, '\\.')}.*(check|running)`));
    }
    assertNoTrace(home, before);
  } finally {
    home.cleanup();
  }
});
