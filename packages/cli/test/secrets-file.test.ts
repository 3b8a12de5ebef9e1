// The secrets file: mode 0600 after every write (even when it was wider before), written whole (a SIGKILL
// just before the rename leaves the old bytes), no temp files left by normal runs, values from the environment
// never written into it, and SREGISTRY_HTTPS_NOVERIFY warned about on every run that uses it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type HubServer, type RegistryServerHandle, sampleSif, startHubServer, startRegistryServer } from '@sregistry/testkit';
import { killAtPoint, linkedPluginData, type Sandbox, sandbox, TOKEN, USER } from './reliability-helpers';

const ENV_TOKEN = 'e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4';
const WARNING = 'WARNING Verify of certificates disabled! ::TESTING USE ONLY::';
let server: RegistryServerHandle;
let hub: HubServer;
let plugins: { dir: string; cleanup(): void };
let sb: Sandbox;

before(async () => {
  server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    seed: [{ name: 'vanessa', owners: [USER], containers: [{ name: 'tacos', tag: 'latest', file: Buffer.from('tacos image\n') }] }],
  });
  plugins = await linkedPluginData();
  sb = sandbox({ pluginData: plugins.dir });
  const image = path.join(sb.home, 'hub.sif');
  await sampleSif(image);
  hub = await startHubServer({ images: [{ user: 'vsoch', repo: 'hello-world', tag: 'latest', file: image }] });
});
after(async () => {
  sb.cleanup();
  plugins.cleanup();
  await Promise.all([server.close(), hub.close()]);
});

const mode = () => fs.statSync(sb.secretsFile).mode & 0o777;
/** Temp files of the atomic writer next to the secrets file. */
const temps = () => fs.readdirSync(sb.home).filter((f) => /^\.+sregistry\..*\.tmp$/.test(f));

test('every command that writes the file leaves it 0600, whole, and without temp files', async () => {
  fs.writeFileSync(sb.secretsFile, JSON.stringify({ registry: { username: USER } }), { mode: 0o644 });
  fs.chmodSync(sb.secretsFile, 0o644);
  const writes = [
    ['backend', 'add', 'registry', 'token', TOKEN],
    ['backend', 'add', 'registry', 'base', server.url],
    ['backend', 'activate', 'registry'],
    ['backend', 'add', 'hub', 'base', hub.origin],
    ['backend', 'remove', 'hub', 'base'],
    ['backend', 'deactivate'],
    ['backend', 'delete', 'hub'],
    ['backend', 'activate', 'registry'],
  ];
  for (const args of writes) {
    const r = await sb.run(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(TOKEN), 'the token is masked');
    assert.equal(mode(), 0o600, `${args.join(' ')} leaves 0600 (it was 0644 before the first write)`);
    assert.deepEqual(temps(), []);
    JSON.parse(fs.readFileSync(sb.secretsFile, 'utf8'));
  }
  const data = JSON.parse(fs.readFileSync(sb.secretsFile, 'utf8'));
  assert.deepEqual(data, {
    registry: { username: USER, SREGISTRY_REGISTRY_TOKEN: TOKEN, SREGISTRY_REGISTRY_BASE: server.url },
    SREGISTRY_CLIENT: 'registry',
  });
  // the file a registry's token page hands out uses `username`; `backend add` writes the prefixed name next to it
});

test('commands changing the file at the same moment each keep their change (one writer at a time), no lock left', async (t) => {
  const before = fs.readFileSync(sb.secretsFile);
  t.after(() => fs.writeFileSync(sb.secretsFile, before, { mode: 0o600 }));
  const keys = Array.from({ length: 8 }, (_, i) => `race${i}`);
  const runs = await Promise.all(keys.map((key, i) => sb.run(['backend', 'add', 'registry', key, `value${i}`, '--force'])));
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const section = JSON.parse(fs.readFileSync(sb.secretsFile, 'utf8')).registry as Record<string, string>;
  assert.deepEqual(
    keys.map((key) => section[`SREGISTRY_REGISTRY_${key.toUpperCase()}`]),
    keys.map((_, i) => `value${i}`),
    'every change is there',
  );
  assert.equal(mode(), 0o600);
  assert.deepEqual(temps(), []);
  assert.equal(fs.existsSync(`${sb.secretsFile}.lock`), false, 'the lock is gone');
});

test('a kill just before the rename leaves the old file byte for byte; the re-run writes the new one', async () => {
  const before = fs.readFileSync(sb.secretsFile);
  const args = ['backend', 'add', 'registry', 'username', 'someone-else', '--force'];
  const k = await killAtPoint(sb, args, 'atomic-write-before-rename');
  assert.ok(k.paused, k.stderr);
  assert.ok(fs.readFileSync(sb.secretsFile).equals(before), 'the old content, whole');
  assert.equal(mode(), 0o600);
  // the killed writer's temp file stays (0600; the journal's cleaner does not look in $HOME)
  const left = temps();
  assert.equal(left.length, 1);
  assert.equal(fs.statSync(path.join(sb.home, left[0]!)).mode & 0o777, 0o600, 'even the leftover is private');
  fs.rmSync(path.join(sb.home, left[0]!));
  const again = await sb.run(args);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(fs.readFileSync(sb.secretsFile, 'utf8')).registry.SREGISTRY_REGISTRY_USERNAME, 'someone-else');
  assert.equal((await sb.run(['backend', 'add', 'registry', 'username', USER, '--force'])).code, 0);
});

test('values from the environment are used but never written into the file', async () => {
  const env = {
    SREGISTRY_REGISTRY_TOKEN: ENV_TOKEN,
    SREGISTRY_REGISTRY_BASE: server.url,
    SREGISTRY_REGISTRY_USERNAME: 'envuser',
    SREGISTRY_CLIENT: 'hub',
  };
  const file = path.join(sb.home, 'push.sif');
  await sampleSif(file);
  const runs = [
    ['backend', 'activate', 'registry'],
    ['backend', 'add', 'registry', 'note', 'kept', '--force'],
    ['backend', 'remove', 'registry', 'note'],
    ['pull', 'registry://vanessa/tacos:latest', '--force'],
    ['push', file, '--name', 'registry://vanessa/envpush:v1'],
    ['backend', 'ls', 'registry'],
  ];
  for (const args of runs) {
    await sb.run(args, { env });
    const text = fs.readFileSync(sb.secretsFile, 'utf8');
    for (const value of [ENV_TOKEN, 'envuser']) assert.ok(!text.includes(value), `${args.join(' ')} wrote ${value} from the environment`);
    assert.equal(mode(), 0o600);
  }
  assert.equal(
    JSON.parse(fs.readFileSync(sb.secretsFile, 'utf8')).registry.SREGISTRY_REGISTRY_TOKEN,
    TOKEN,
    "the file's own token is kept",
  );
});

test('SREGISTRY_HTTPS_NOVERIFY warns exactly once on every run that talks to a server', async () => {
  const env = { SREGISTRY_HTTPS_NOVERIFY: 'yes', SREGISTRY_HUB_BASE: hub.origin };
  const file = path.join(sb.home, 'push.sif');
  const runs = [
    ['pull', 'registry://vanessa/tacos:latest', '--force'],
    ['pull', 'registry://vanessa/tacos:latest', '--force', '--quiet'],
    ['search', 'registry://vanessa/'],
    ['push', file, '--name', 'registry://vanessa/noverify:v1'],
    ['delete', 'registry://vanessa/noverify:v1', '--force'],
    ['pull', 'shub://vsoch/hello-world', '--force'],
  ];
  for (const args of runs) {
    const r = await sb.run(args, { env });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.split('\n').filter((l) => l === WARNING).length, 1, `${args.join(' ')}: ${r.stderr}`);
  }
});

test('a secrets file that is a symbolic link stays one: writes go through it to the target, 0600', async (t) => {
  const dotfiles = path.join(sb.home, 'dotfiles');
  fs.mkdirSync(dotfiles, { recursive: true });
  const target = path.join(dotfiles, 'sregistry.json');
  fs.copyFileSync(sb.secretsFile, target);
  fs.chmodSync(target, 0o644);
  fs.rmSync(sb.secretsFile);
  fs.symlinkSync(path.join('dotfiles', 'sregistry.json'), sb.secretsFile); // relative, as dotfile managers make them
  t.after(() => {
    fs.rmSync(sb.secretsFile, { force: true });
    fs.renameSync(target, sb.secretsFile);
  });
  for (const args of [
    ['backend', 'deactivate'],
    ['backend', 'activate', 'registry'],
    ['backend', 'add', 'registry', 'note', 'linked', '--force'],
    ['backend', 'remove', 'registry', 'note'],
  ]) {
    const r = await sb.run(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(fs.lstatSync(sb.secretsFile).isSymbolicLink(), `${args.join(' ')} keeps ~/.sregistry a link`);
    assert.equal(fs.readlinkSync(sb.secretsFile), path.join('dotfiles', 'sregistry.json'));
    assert.equal(fs.statSync(target).mode & 0o777, 0o600, 'the target is private');
    assert.deepEqual(
      fs.readdirSync(dotfiles).filter((f) => f !== 'sregistry.json'),
      [],
      'no temp file left in the target folder',
    );
  }
  assert.equal(JSON.parse(fs.readFileSync(target, 'utf8')).SREGISTRY_CLIENT, 'registry', 'the change reached the target');
});
