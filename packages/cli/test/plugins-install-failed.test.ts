import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startVerdaccio, type VerdaccioHandle } from '../../testkit/src/verdaccio';
import { cliInTempHome } from './helpers';
import { folderState, publishDemo } from './plugin-install-helpers';

// A failed `plugins install` of a plugin that is already installed (an upgrade to a version the registry does not
// have, a registry that cannot be reached) leaves the installed one as it was:
// plugin-plugins itself uninstalls it after any failure.

let storage: string;
let verdaccio: VerdaccioHandle;
let cli: ReturnType<typeof cliInTempHome>;

before(async () => {
  storage = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-upgrade-'));
  verdaccio = await startVerdaccio({ storage: path.join(storage, 'registry'), uplink: false });
  await publishDemo(verdaccio, storage, '0.1.0');
  await publishDemo(verdaccio, storage, '0.3.0');
  cli = cliInTempHome({ npm_config_registry: verdaccio.url });
});

after(async () => {
  cli?.cleanup();
  await verdaccio?.close();
  fs.rmSync(storage, { recursive: true, force: true });
});

test('a failed install of an installed plugin leaves the installed one exactly as it was', async () => {
  const dataDir = path.join(cli.home, '.local', 'share', 'sregistry');
  const installed = await cli.run(['plugins', 'install', 'sregistry-backend-demo@0.1.0']);
  assert.equal(installed.code, 0, installed.stderr);
  const was = folderState(dataDir);
  assert.match(was[path.join('node_modules', 'sregistry-backend-demo', 'package.json')] ?? '', /"version":"0\.1\.0"/);
  for (const [what, args, env] of [
    ['a version the registry does not have', ['plugins', 'install', 'sregistry-backend-demo@9.9.9'], {}],
    [
      'a registry that cannot be reached',
      ['plugins', 'install', 'sregistry-backend-demo@0.3.0'],
      { SREGISTRY_NPM_REGISTRY: 'http://127.0.0.1:9/' },
    ],
  ] as const) {
    const r = await cli.run([...args], { env });
    assert.equal(r.code, 1, `${what}: ${r.stderr}`);
    assert.match(r.stderr, /^ERROR /, what);
    assert.deepEqual(folderState(dataDir), was, `${what}: package.json, lockfiles and node_modules as before`);
    const ls = await cli.run(['backend', 'ls', '--json']);
    assert.match(ls.stdout, /sregistry-backend-demo/, `${what}: the backend is still there`);
  }
  // and an upgrade that works still upgrades
  const upgraded = await cli.run(['plugins', 'install', 'sregistry-backend-demo@0.3.0']);
  assert.equal(upgraded.code, 0, upgraded.stderr);
  assert.match(fs.readFileSync(path.join(dataDir, 'node_modules', 'sregistry-backend-demo', 'package.json'), 'utf8'), /0\.3\.0/);
  assert.deepEqual(
    fs.readdirSync(dataDir).filter((name) => name.startsWith('.install-backup')),
    [],
    'no backup is left behind',
  );
});

test('a registry that cannot be reached is said so at once, naming it; a missing package names the registry asked', async () => {
  const fresh = cliInTempHome({ npm_config_registry: verdaccio.url });
  try {
    const started = Date.now();
    const r = await fresh.run(['plugins', 'install', 'sregistry-backend-demo'], { env: { SREGISTRY_NPM_REGISTRY: 'http://127.0.0.1:9/' } });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stderr,
      'ERROR the npm registry http://127.0.0.1:9/ could not be reached (ECONNREFUSED); check the address and the network, or set SREGISTRY_NPM_REGISTRY=<url> to the registry that holds sregistry-backend-demo\n',
    );
    // npm's own retries would take about 70 s
    assert.ok(Date.now() - started < 30_000, `${Date.now() - started} ms`);
    const json = await fresh.run(['plugins', 'install', 'sregistry-backend-demo', '--json'], {
      env: { SREGISTRY_NPM_REGISTRY: 'http://127.0.0.1:9/' },
    });
    assert.equal(JSON.parse(json.stdout).error.code, 'ENETWORK');
    const missing = await fresh.run(['plugins', 'install', 'sregistry-backend-nope']);
    assert.equal(missing.code, 1, missing.stderr);
    assert.equal(
      missing.stderr,
      `ERROR sregistry-backend-nope does not exist in the npm registry ${verdaccio.url}; check the name, or set SREGISTRY_NPM_REGISTRY=<url> to the registry that holds it\n`,
    );
  } finally {
    fresh.cleanup();
  }
});

test('an SREGISTRY_NPM_REGISTRY that is no http(s) URL is one line naming the setting (ESETTING), before npm is asked', async () => {
  const r = await cli.run(['plugins', 'install', 'x', '--json'], { env: { SREGISTRY_NPM_REGISTRY: 'not a url' } });
  assert.equal(r.code, 1, r.stderr);
  const error = JSON.parse(r.stdout).error;
  assert.equal(error.code, 'ESETTING');
  assert.equal(error.message, 'SREGISTRY_NPM_REGISTRY is "not a url", not an http(s) URL');
  const text = await cli.run(['plugins', 'update'], { env: { SREGISTRY_NPM_REGISTRY: 'ftp://me:s3cret@host/' } });
  assert.equal(text.code, 1, text.stderr);
  assert.equal(
    text.stderr,
    "ERROR SREGISTRY_NPM_REGISTRY is (not shown: it has an @), not an http(s) URL; set it to the npm registry's address, such as https://registry.npmjs.org/, or unset it\n",
  );
});
