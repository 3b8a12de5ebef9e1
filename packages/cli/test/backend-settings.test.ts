import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { BackendModule } from '@sregistry/core';
import { activateBackend, addBackendSetting, BackendRegistry, Output, Session, showBackend } from '@sregistry/core';
import { sampleSif } from '@sregistry/testkit';
import * as libraryModule from '../../backend-library/src/backend';
import * as registryModule from '../../backend-registry/src/backend';
import { cliInTempHome } from './helpers';

// `backend activate`, `backend add` and `backend ls <name>` know which backends are installed and which
// settings each one reads (the optional `settings` of the backend contract).

const cli = cliInTempHome();
after(() => cli.cleanup());
const secrets = path.join(cli.home, '.sregistry');
const read = () => (fs.existsSync(secrets) ? fs.readFileSync(secrets, 'utf8') : undefined);

test('backend activate refuses a backend that is not installed, listing the installed ones; --force still can', async () => {
  const before = read();
  const r = await cli.run(['backend', 'activate', 'nosuch']);
  assert.deepEqual(
    { code: r.code, stdout: r.stdout, stderr: r.stderr },
    {
      code: 1,
      stdout: '',
      stderr:
        'ERROR nosuch is not installed; installed backends: hub; install the plugin that provides it (sregistry plugins install <package>), or activate it anyway with --force\n',
    },
  );
  assert.equal(read(), before, 'the secrets file is untouched');
  const registry = await cli.run(['backend', 'activate', 'registry']);
  const folder = path.resolve(__dirname, '..', '..', 'backend-registry');
  assert.ok(
    registry.stderr.includes(`run: sregistry plugins link ${folder} --no-install, or activate it anyway with --force`),
    registry.stderr,
  );
  // a misspelt backend gets the one meant, and how to have it
  const typo = await cli.run(['backend', 'activate', 'regsitry']);
  assert.deepEqual(
    { code: typo.code, stderr: typo.stderr },
    {
      code: 1,
      stderr: `ERROR regsitry is not installed; did you mean registry? installed backends: hub; run: sregistry plugins link ${folder} --no-install, then: sregistry backend activate registry (or activate regsitry anyway with --force)\n`,
    },
  );
  const installedTypo = await cli.run(['backend', 'activate', 'hbu']);
  assert.equal(
    installedTypo.stderr,
    'ERROR hbu is not installed; did you mean hub? run: sregistry backend activate hub (or activate hbu anyway with --force)\n',
  );
  assert.equal(read(), before, 'the secrets file is untouched');
  const forced = await cli.run(['backend', 'activate', 'nosuch', '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, /^WARNING nosuch is not installed yet/);
  assert.equal(JSON.parse(read() as string).SREGISTRY_CLIENT, 'nosuch');
  assert.equal((await cli.run(['backend', 'deactivate'])).code, 0);
});

test('backend add refuses a setting the backend does not declare, with the nearest and the list; --force stores it', async () => {
  const before = read();
  const typo = await cli.run(['backend', 'add', 'hub', 'bse', 'https://hub.example.org']);
  assert.deepEqual(
    { code: typo.code, stderr: typo.stderr },
    {
      code: 1,
      stderr: 'ERROR hub has no setting SREGISTRY_HUB_BSE; did you mean base? its settings: base, nohttps (store it anyway with --force)\n',
    },
  );
  assert.equal(read(), before);
  const json = await cli.run(['backend', 'add', 'hub', 'tokn', 'x', '--json']);
  assert.equal(JSON.parse(json.stdout).error.code, 'ESETTING');
  const good = await cli.run(['backend', 'add', 'hub', 'base', 'https://hub.example.org']);
  assert.deepEqual({ code: good.code, stderr: good.stderr }, { code: 0, stderr: '' });
  const forced = await cli.run(['backend', 'add', 'hub', 'tokn', 'x', '--force']);
  assert.equal(forced.code, 0);
  assert.equal(forced.stderr, 'WARNING hub does not read SREGISTRY_HUB_TOKN; stored because of --force\n');
  assert.deepEqual(JSON.parse(read() as string).hub, { SREGISTRY_HUB_BASE: 'https://hub.example.org', SREGISTRY_HUB_TOKN: 'x' });
  assert.equal((await cli.run(['backend', 'delete', 'hub'])).code, 0);
});

let sessions = 0;
/** A session over its own secrets file in this test's home, with backends registered in code. */
function session(modules: Record<string, BackendModule>) {
  const lines: string[] = [];
  const sink = { isTTY: false, write: (chunk: string) => lines.push(chunk) > 0 } as unknown as NodeJS.WriteStream;
  const backends = new BackendRegistry();
  for (const [name, module] of Object.entries(modules)) backends.register(name, module);
  const env = { ...process.env, ...cli.env, SREGISTRY_CLIENT_SECRETS: path.join(cli.home, `ops-secrets-${++sessions}.json`) };
  const out = new Output({ level: 1, json: false, quiet: false, stdout: sink, stderr: sink });
  return { session: new Session({ env, output: out, backends }), lines };
}

test('the registry backend declares base, username, token and nohttps; a backend declaring nothing keeps today’s behaviour with a warning', async () => {
  const bare: BackendModule = { createBackend: () => ({ name: 'bare' }) };
  const { session: s, lines } = session({ registry: registryModule, bare });
  for (const variable of ['base', 'username', 'token', 'nohttps', 'SREGISTRY_REGISTRY_TOKEN']) {
    await addBackendSetting(s, 'registry', variable, variable === 'nohttps' ? 'yes' : 'v', true);
  }
  await assert.rejects(addBackendSetting(s, 'registry', 'tokn', 'x', false), /registry has no setting SREGISTRY_REGISTRY_TOKN/);
  await addBackendSetting(s, 'bare', 'anything', 'x', false);
  assert.ok(lines.includes('WARNING bare does not declare its settings, so SREGISTRY_BARE_ANYTHING is stored unchecked\n'), lines.join(''));
  await activateBackend(s, 'bare');
  await s.close();
});

test('backend ls <installed backend> without settings shows what it reads and how to add it', async () => {
  const r = await cli.run(['backend', 'ls', 'hub']);
  assert.deepEqual(
    { code: r.code, stdout: r.stdout, stderr: r.stderr },
    {
      code: 0,
      stdout: [
        `hub is installed and has no settings in ${secrets}`,
        '  SREGISTRY_HUB_BASE           the Hub (or a Hub-compatible server) to pull from; default https://singularity-hub.org',
        '  SREGISTRY_HUB_NOHTTPS        set to use http:// for a base or host given without a scheme',
        'add one with: sregistry backend add hub base <value>',
        '',
      ].join('\n'),
      stderr: '',
    },
  );
  const { session: s } = session({ bare: { createBackend: () => ({ name: 'bare' }) } });
  assert.deepEqual(showBackend(s, 'bare'), { name: 'bare', settings: {}, declared: {} });
  const unknown = await cli.run(['backend', 'ls', 'nope']);
  assert.match(unknown.stderr, /^ERROR nope is not a known client; installed backends: hub; /);
});

test('backend add and backend ls never show the password of a URL with user:password in it', async () => {
  const password = 'Hunter2Secret';
  const add = await cli.run(['backend', 'add', 'hub', 'base', `https://alice:${password}@hub.example.org`]);
  assert.equal(add.code, 0, add.stderr);
  assert.equal(add.stdout, '[add]\nSREGISTRY_HUB_BASE https://hub.example.org/\n');
  for (const args of [
    ['backend', 'ls', 'hub'],
    ['backend', 'ls', 'hub', '--json'],
  ]) {
    const ls = await cli.run(args);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /"SREGISTRY_HUB_BASE": "https:\/\/hub\.example\.org\/"/, args.join(' '));
    assert.ok(!(ls.stdout + ls.stderr).includes(password), `${args.join(' ')} does not print the password`);
  }
  assert.equal(JSON.parse(read() as string).hub.SREGISTRY_HUB_BASE, `https://alice:${password}@hub.example.org`, 'stored as given');
  assert.equal((await cli.run(['backend', 'delete', 'hub'])).code, 0);
});

test('backend add sees the token page’s short spelling as the same setting: refused without --force, replaced in place with it', async () => {
  fs.writeFileSync(secrets, JSON.stringify({ hub: { base: 'https://old.example.org', other: 'kept' } }));
  const before = read();
  const refused = await cli.run(['backend', 'add', 'hub', 'base', 'https://new.example.org']);
  assert.deepEqual(
    { code: refused.code, stdout: refused.stdout, stderr: refused.stderr },
    { code: 1, stdout: '', stderr: `ERROR SREGISTRY_HUB_BASE is already set (as "base") in ${secrets}; use --force to override\n` },
  );
  assert.equal(read(), before, 'the secrets file is untouched');
  const forced = await cli.run(['backend', 'add', 'hub', 'base', 'https://new.example.org', '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual(Object.entries(JSON.parse(read() as string).hub), [
    ['SREGISTRY_HUB_BASE', 'https://new.example.org'],
    ['other', 'kept'],
  ]);
  assert.equal((await cli.run(['backend', 'delete', 'hub'])).code, 0);
});

test('backend add --force over the token page’s "token" leaves one token, the new one', async () => {
  const { session: s } = session({ registry: registryModule });
  fs.writeFileSync(s.secrets.file, JSON.stringify({ registry: { token: 'OLDTOKEN', username: 'bob', base: 'http://127.0.0.1:9' } }));
  await assert.rejects(addBackendSetting(s, 'registry', 'token', 'NEWTOKEN', false), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'EEXIST');
    assert.match(e.message, /SREGISTRY_REGISTRY_TOKEN is already set \(as "token"\)/);
    return true;
  });
  assert.equal(JSON.parse(fs.readFileSync(s.secrets.file, 'utf8')).registry.token, 'OLDTOKEN');
  await addBackendSetting(s, 'registry', 'token', 'NEWTOKEN', true);
  assert.deepEqual(JSON.parse(fs.readFileSync(s.secrets.file, 'utf8')).registry, {
    SREGISTRY_REGISTRY_TOKEN: 'NEWTOKEN',
    username: 'bob',
    base: 'http://127.0.0.1:9',
  });
  await s.close();
});

test('backend ls masks a secret setting as *** in text as in --json', async () => {
  const file = path.join(cli.home, 'masked.sregistry');
  fs.writeFileSync(file, JSON.stringify({ registry: { SREGISTRY_REGISTRY_TOKEN: 'tok-5ecret-value', SREGISTRY_REGISTRY_USERNAME: 'u' } }), {
    mode: 0o600,
  });
  const env = { SREGISTRY_CLIENT_SECRETS: file };
  const text = await cli.run(['backend', 'ls', 'registry'], { env });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /"SREGISTRY_REGISTRY_TOKEN": "\*\*\*"/);
  assert.doesNotMatch(text.stdout, /5ecret/);
  const json = await cli.run(['backend', 'ls', 'registry', '--json'], { env });
  assert.match(json.stdout, /"SREGISTRY_REGISTRY_TOKEN": "\*\*\*"/);
  assert.doesNotMatch(json.stdout, /5ecret/);
});

// docs/differences-from-the-original.md: both differ from the original on purpose, and scripts may rely on them
test('backend with no action prints its help, exit 0; backend delete of an unknown backend is an error, exit 1', async () => {
  const help = await cli.run(['backend']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^ {2}backend delete {2,}Remove a backend's whole section/m);
  assert.equal(help.stderr, '');
  const before = read();
  const unknown = await cli.run(['backend', 'delete', 'regsitry']);
  assert.deepEqual(
    { code: unknown.code, stdout: unknown.stdout, stderr: unknown.stderr },
    { code: 1, stdout: '', stderr: 'ERROR regsitry is not a known client; list configured backends with: sregistry backend status\n' },
  );
  assert.equal(read(), before, 'the secrets file is untouched');
});

// docs/differences-from-the-original.md lists each of these (the original exits 0 for all but --debug alone)
test('backend ls of an unknown name, activate/delete with no name, add with SREGISTRY_DISABLE: errors, nothing written', async () => {
  const before = read();
  const ls = await cli.run(['backend', 'ls', 'nope']);
  assert.equal(ls.code, 1, ls.stderr);
  for (const action of ['activate', 'delete']) {
    const r = await cli.run(['backend', action]);
    assert.deepEqual(
      { code: r.code, stderr: r.stderr },
      { code: 2, stderr: `ERROR missing argument BACKEND; usage: sregistry backend ${action} BACKEND (see --help)\n` },
    );
  }
  assert.equal(read(), before, 'the secrets file is untouched');
  const file = path.join(cli.home, 'disabled.sif');
  await sampleSif(file);
  const add = await cli.run(['add', file, '--name', 'x/y'], { env: { SREGISTRY_DISABLE: 'yes' } });
  assert.deepEqual(
    { code: add.code, stdout: add.stdout, stderr: add.stderr },
    {
      code: 1,
      stdout: '',
      stderr:
        'ERROR add needs the local database, which SREGISTRY_DISABLE turns off; unset SREGISTRY_DISABLE (and SINGULARITY_DISABLE_CACHE)\n',
    },
  );
  assert.ok(fs.existsSync(file), 'the file is left where it was');
});

test('backend add refuses a value of the wrong kind for a setting the backend declares a kind of, in one line, nothing written', async () => {
  // the registry plugin linked as `sregistry plugins link` leaves it
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-kinds-'));
  const folder = path.join(data, 'sregistry');
  fs.mkdirSync(folder, { recursive: true });
  const root = path.resolve(__dirname, '..', '..', 'backend-registry');
  fs.writeFileSync(
    path.join(folder, 'package.json'),
    JSON.stringify({ private: true, oclif: { schema: 1, plugins: [{ name: '@sregistry/backend-registry', type: 'link', root }] } }),
  );
  const env = { XDG_DATA_HOME: data };
  try {
    const before = read();
    for (const [backend, variable, value, expected] of [
      ['registry', 'nohttps', 'maybe', 'SREGISTRY_REGISTRY_NOHTTPS is "maybe", not yes or no'],
      ['registry', 'SREGISTRY_REGISTRY_NOHTTPS', 'ture', 'SREGISTRY_REGISTRY_NOHTTPS is "ture", not yes or no'],
      ['hub', 'nohttps', 'maybe', 'SREGISTRY_HUB_NOHTTPS is "maybe", not yes or no'],
    ]) {
      for (const force of [[], ['--force']]) {
        const r = await cli.run(['backend', 'add', backend!, variable!, value!, ...force], { env });
        const what = `${backend} ${variable} ${value} ${force.join('')}`;
        assert.equal(r.code, 1, what);
        assert.equal(r.stdout, '', what);
        assert.match(r.stderr, new RegExp(`^ERROR ${expected}; [^\\n]*nothing was stored\\n$`), what);
        assert.equal(read(), before, `${what}: the secrets file is untouched`);
      }
    }
    const json = await cli.run(['backend', 'add', 'registry', 'nohttps', 'maybe', '--json'], { env });
    assert.equal(JSON.parse(json.stdout).error.code, 'ESETTING');
    const good = await cli.run(['backend', 'add', 'registry', 'nohttps', 'Yes'], { env });
    assert.equal(good.code, 0, good.stderr);
    assert.equal(JSON.parse(read() as string).registry.SREGISTRY_REGISTRY_NOHTTPS, 'Yes');
    assert.equal((await cli.run(['backend', 'delete', 'registry'], { env })).code, 0);
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
});

test('the library declares its counts as positive whole numbers: 0, 1.5, 0x10 are refused, 8 is stored; a plugin without kinds stores anything', async () => {
  const bare: BackendModule = { createBackend: () => ({ name: 'bare' }), settings: { flag: 'a yes/no of old' } };
  const { session: s } = session({ library: libraryModule, bare });
  for (const variable of ['concurrency', 'part_size', 'multipart_threshold']) {
    for (const value of ['0', '1.5', '0x10', '-2', 'many']) {
      await assert.rejects(
        addBackendSetting(s, 'library', variable, value, true),
        (e: Error & { code?: string }) =>
          e.code === 'ESETTING' && e.message === `SREGISTRY_LIBRARY_${variable.toUpperCase()} is "${value}", not a positive whole number`,
        `${variable} ${value}`,
      );
    }
    await addBackendSetting(s, 'library', variable, '8', false);
  }
  await assert.rejects(addBackendSetting(s, 'library', 'nohttps', 'maybe', false), /not yes or no/);
  await addBackendSetting(s, 'bare', 'flag', 'maybe', false);
  await s.close();
});

test('backend add of an empty value is refused: it would read as unset and block setting it later', async () => {
  const before = read();
  const r = await cli.run(['backend', 'add', 'registry', 'nohttps', '']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^ERROR the value for SREGISTRY_REGISTRY_NOHTTPS is empty; give a value, or remove the setting with: sregistry backend remove registry nohttps/,
  );
  assert.equal(read(), before, 'nothing stored');
});
