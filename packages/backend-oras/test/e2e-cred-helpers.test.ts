// Docker credential helpers and config keys through the CLI against a real Distribution registry (htpasswd over
// plain http): login stores through the helper the Docker config names (credHelpers[host], else credsStore) and
// writes no secret to the file, logout erases from it, a helper that fails is one line without the secret.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type DistributionHandle, distributionAvailable, sampleSif, startDistribution } from '@sregistry/testkit';
import { assertOneLineError, type OrasHome, orasHome, PASSWORD, USER, USERS } from './helpers';

const available = distributionAvailable();

/**
 * A `docker-credential-<name>` on PATH that keeps logins in a JSON file, logs each call (action and, for store, the
 * JSON it was given) and answers as docker-credential-helpers do: "credentials not found in native keychain", exit
 * 1, for a host it does not hold. With FAIL_STORE set, `store` fails printing the secret it was handed; with
 * FAIL_GET, `get` fails otherwise (printing FAIL_GET's text when it is not `1`).
 */
function fakeHelper(
  dir: string,
  name: string,
): { env: Record<string, string>; calls: () => { action: string; input: string }[]; held: () => Record<string, unknown> } {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const store = path.join(dir, `${name}-store.json`);
  const log = path.join(dir, `${name}-calls.jsonl`);
  fs.writeFileSync(
    path.join(bin, `docker-credential-${name}`),
    `#!${process.execPath}
const fs = require('node:fs');
const action = process.argv[2];
const input = fs.readFileSync(0, 'utf8');
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ action, input }) + '\\n');
const held = fs.existsSync(${JSON.stringify(store)}) ? JSON.parse(fs.readFileSync(${JSON.stringify(store)}, 'utf8')) : {};
const save = () => fs.writeFileSync(${JSON.stringify(store)}, JSON.stringify(held));
const missing = () => { process.stdout.write('credentials not found in native keychain\\n'); process.exit(1); };
if (action === 'store') {
  const c = JSON.parse(input);
  if (process.env.FAIL_STORE) { process.stdout.write('cannot reach the keyring to keep ' + c.Secret + '\\n'); process.exit(1); }
  held[c.ServerURL] = c; save();
} else if (action === 'get') {
  if (process.env.FAIL_GET) { process.stdout.write('the keyring is locked' + (process.env.FAIL_GET === '1' ? '' : ' ' + process.env.FAIL_GET) + '\\n'); process.exit(1); }
  const c = held[input.trim()]; if (!c) missing();
  process.stdout.write(JSON.stringify(c));
} else if (action === 'erase') {
  if (!held[input.trim()]) missing();
  delete held[input.trim()]; save();
} else process.exit(2);
`,
    { mode: 0o755 },
  );
  return {
    env: { PATH: `${bin}:${process.env.PATH}` },
    calls: () =>
      fs.existsSync(log)
        ? fs
            .readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l))
        : [],
    held: () => (fs.existsSync(store) ? JSON.parse(fs.readFileSync(store, 'utf8')) : {}),
  };
}

describe('oras logins kept by Docker credential helpers', { skip: available.ok ? false : available.reason }, () => {
  let registry: DistributionHandle;
  let seed: OrasHome;
  before(async () => {
    registry = await startDistribution({ auth: 'htpasswd', users: USERS });
    seed = await orasHome(registry);
    const image = path.join(seed.home, 'hello.sif');
    await sampleSif(image);
    const pushed = await seed.run(['push', image, '--name', `oras://${registry.host}/alice/hello:v1`]);
    assert.equal(pushed.code, 0, pushed.stderr);
  });
  after(async () => {
    seed?.cleanup();
    await registry?.close();
  });
  const ref = (repo: string) => `oras://${registry.host}/${repo}`;
  const base64 = () => Buffer.from(`${USER}:${PASSWORD}`).toString('base64');

  for (const kind of ['credHelpers', 'credsStore'] as const) {
    test(`${kind}: login stores through the helper and writes no secret; logout erases it`, async () => {
      const e = await orasHome(registry, { login: false });
      try {
        const helper = fakeHelper(e.home, 'xyz');
        fs.mkdirSync(path.dirname(e.dockerConfig), { recursive: true });
        const named = kind === 'credHelpers' ? { credHelpers: { [registry.host]: 'xyz' } } : { credsStore: 'xyz' };
        // an old plain login for the host is replaced, not left beside the helper's
        fs.writeFileSync(
          e.dockerConfig,
          JSON.stringify({ ...named, auths: { [registry.host]: { auth: base64() }, 'ghcr.io': { auth: 'eDp5' } } }),
        );

        const login = await e.run(['oras', 'login', registry.host, '--username', USER, '--password-stdin'], {
          env: helper.env,
          input: `${PASSWORD}\n`,
        });
        assert.equal(login.code, 0, login.stderr);
        assert.match(login.stdout, /Login Succeeded \(.*saved by docker-credential-xyz/);
        assert.ok(!(login.stdout + login.stderr).includes(PASSWORD), 'the password is not printed');
        const stores = helper.calls().filter((c) => c.action === 'store');
        assert.equal(stores.length, 1, JSON.stringify(helper.calls()));
        assert.deepEqual(JSON.parse(stores[0].input), { ServerURL: registry.host, Username: USER, Secret: PASSWORD });
        const text = fs.readFileSync(e.dockerConfig, 'utf8');
        assert.ok(!text.includes(PASSWORD) && !text.includes(base64()), `no secret in the Docker config: ${text}`);
        const config = JSON.parse(text);
        assert.deepEqual(config.auths[registry.host], {}, 'an empty entry, as docker login leaves it');
        assert.equal(config.auths['ghcr.io'].auth, 'eDp5', 'other logins kept');
        assert.equal(fs.statSync(e.dockerConfig).mode & 0o777, 0o600);

        const pulled = await e.run(['pull', '--no-cache', '--name', 'x.sif', ref('alice/hello:v1'), '--debug'], { env: helper.env });
        assert.equal(pulled.code, 0, pulled.stderr);
        assert.match(pulled.stderr, /credentials for .* from docker-credential-xyz/);

        const logout = await e.run(['oras', 'logout', registry.host], { env: helper.env });
        assert.equal(logout.code, 0, logout.stderr);
        assert.match(logout.stdout, /Removed login credentials for .* from docker-credential-xyz and /);
        const erases = helper.calls().filter((c) => c.action === 'erase');
        assert.deepEqual(
          erases.map((c) => c.input),
          [registry.host],
        );
        assert.deepEqual(helper.held(), {}, 'the helper no longer holds the login');
        const after = JSON.parse(fs.readFileSync(e.dockerConfig, 'utf8'));
        assert.equal(after.auths[registry.host], undefined);
        assert.equal(after.auths['ghcr.io'].auth, 'eDp5');
        assertOneLineError(await e.run(['pull', ref('alice/hello:v1')], { env: helper.env }), /needs a login for alice\/hello/);

        const again = await e.run(['oras', 'logout', registry.host], { env: helper.env });
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stdout, /Not logged in to /);
      } finally {
        e.cleanup();
      }
    });
  }

  test("docker's order: a helper named for the host (credHelpers, else credsStore) is asked and the auths entry is not read", async () => {
    const e = await orasHome(registry, { login: false });
    try {
      const helper = fakeHelper(e.home, 'xyz');
      fs.mkdirSync(path.dirname(e.dockerConfig), { recursive: true });
      const wrong = Buffer.from(`${USER}:not-the-password`).toString('base64');
      const pull = () => e.run(['pull', '--no-cache', '--name', 'x.sif', ref('alice/hello:v1'), '--debug'], { env: helper.env });
      // the store holds the login; the file's plain entry (a wrong one) is not used
      fs.writeFileSync(e.dockerConfig, JSON.stringify({ credsStore: 'xyz', auths: { [registry.host]: { auth: wrong } } }));
      const login = await e.run(['oras', 'login', registry.host, '--username', USER, '--password-stdin'], {
        env: helper.env,
        input: PASSWORD,
      });
      assert.equal(login.code, 0, login.stderr);
      fs.writeFileSync(e.dockerConfig, JSON.stringify({ credsStore: 'xyz', auths: { [registry.host]: { auth: wrong } } }));
      const viaStore = await pull();
      assert.equal(viaStore.code, 0, viaStore.stderr);
      assert.match(viaStore.stderr, /credentials for .* from docker-credential-xyz/);
      assert.doesNotMatch(viaStore.stderr, /from .*config\.json/);
      // credHelpers[host] comes before credsStore
      fs.writeFileSync(e.dockerConfig, JSON.stringify({ credsStore: 'nosuchhelper', credHelpers: { [registry.host]: 'xyz' } }));
      assert.equal((await pull()).code, 0);
      // a store without the login: no login, as docker has it, even with a right password in auths
      fs.writeFileSync(e.dockerConfig, JSON.stringify({ credsStore: 'xyz', auths: { [registry.host]: { auth: base64() } } }));
      assert.equal((await e.run(['oras', 'logout', registry.host], { env: helper.env })).code, 0);
      fs.writeFileSync(e.dockerConfig, JSON.stringify({ credsStore: 'xyz', auths: { [registry.host]: { auth: base64() } } }));
      assertOneLineError(
        await e.run(['pull', ref('alice/hello:v1')], { env: helper.env }),
        /needs a login for alice\/hello, and there is none/,
      );
      // a helper that fails otherwise stops the command, naming it
      fs.writeFileSync(e.dockerConfig, JSON.stringify({ credHelpers: { [registry.host]: 'xyz' } }));
      assertOneLineError(
        await e.run(['pull', ref('alice/hello:v1')], { env: { ...helper.env, FAIL_GET: '1' } }),
        /docker-credential-xyz could not get the login for .* \(the keyring is locked\); check that the helper works/,
      );
      // one that echoes a password the file also holds (an older login in auths) has it masked, on get and erase
      fs.writeFileSync(
        e.dockerConfig,
        JSON.stringify({ credHelpers: { [registry.host]: 'xyz' }, auths: { [registry.host]: { auth: base64() } } }),
      );
      const echoed = { env: { ...helper.env, FAIL_GET: `(tried ${PASSWORD})` } };
      const failed = await e.run(['pull', ref('alice/hello:v1')], echoed);
      assertOneLineError(failed, /the keyring is locked \(tried \*\*\*\)/);
      assert.ok(!`${failed.stdout}${failed.stderr}`.includes(PASSWORD), 'the password is not printed');
    } finally {
      e.cleanup();
    }
  });

  test('auths keys in older spellings (a URL, a trailing path) are read as the host, and logout removes them', async () => {
    const e = await orasHome(registry, { login: false });
    try {
      fs.mkdirSync(path.dirname(e.dockerConfig), { recursive: true });
      for (const key of [`http://${registry.host}/v2/`, `${registry.host}/`, `https://${registry.host}`, `https://${registry.host}/v1/`]) {
        fs.writeFileSync(e.dockerConfig, JSON.stringify({ auths: { [key]: { auth: base64() }, 'ghcr.io': { auth: 'eDp5' } } }));
        const pulled = await e.run(['pull', '--no-cache', '--name', 'x.sif', ref('alice/hello:v1')]);
        assert.equal(pulled.code, 0, `${key}: ${pulled.stderr}`);
        const logout = await e.run(['oras', 'logout', registry.host]);
        assert.match(logout.stdout, /Removed login credentials/, `${key}: ${logout.stderr}`);
        assert.deepEqual(Object.keys(JSON.parse(fs.readFileSync(e.dockerConfig, 'utf8')).auths), ['ghcr.io'], key);
      }
      // another port of the same host is another registry
      const port = Number(registry.host.split(':').pop());
      fs.writeFileSync(e.dockerConfig, JSON.stringify({ auths: { [`http://127.0.0.1:${port + 1}/v2/`]: { auth: base64() } } }));
      assertOneLineError(await e.run(['pull', ref('alice/hello:v1')]), /needs a login for alice\/hello, and there is none/);
    } finally {
      e.cleanup();
    }
  });

  test('a helper that fails or is missing is one line naming it and the fix, without the secret; the config is kept', async () => {
    const e = await orasHome(registry, { login: false });
    try {
      const helper = fakeHelper(e.home, 'xyz');
      fs.mkdirSync(path.dirname(e.dockerConfig), { recursive: true });
      const before = JSON.stringify({ credsStore: 'xyz', auths: { 'ghcr.io': { auth: 'eDp5' } } });
      fs.writeFileSync(e.dockerConfig, before);
      const login = (env: Record<string, string>) =>
        e.run(['oras', 'login', registry.host, '--username', USER, '--password-stdin'], { env, input: PASSWORD });
      const failed = await login({ ...helper.env, FAIL_STORE: '1' });
      const line = assertOneLineError(
        failed,
        /docker-credential-xyz could not store the login for .*\(cannot reach the keyring to keep \*\*\*\); check that the helper works \(docker-credential-xyz list\), or remove credsStore from .*config\.json/,
      );
      assert.ok(!(failed.stdout + failed.stderr).includes(PASSWORD), line);
      assert.equal(fs.readFileSync(e.dockerConfig, 'utf8'), before, 'the Docker config is unchanged');

      fs.writeFileSync(e.dockerConfig, JSON.stringify({ credHelpers: { [registry.host]: 'nosuchhelper' } }));
      assertOneLineError(
        await login(helper.env),
        /docker-credential-nosuchhelper is not installed; install it, or remove "nosuchhelper" from /,
      );
      assertOneLineError(
        await e.run(['oras', 'logout', registry.host], { env: helper.env }),
        /docker-credential-nosuchhelper is not installed/,
      );
    } finally {
      e.cleanup();
    }
  });
});
