import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { processTempDir } from '../../testkit/src/temp';
import { BackendRegistry } from '../src/backends/registry';
import { selectBackend } from '../src/backends/select';
import { isUserError } from '../src/errors';
import { backendSettings, databaseDisabled, isTrue, resolvePaths, SecretsFile } from '../src/settings/index';
import { HOST_TAG, tempBeside } from '../src/storage/temp-files';

function tmp(): string {
  return processTempDir('sreg-settings-');
}

test('paths follow HOME and the SREGISTRY_* variables', () => {
  const home = tmp();
  const p = resolvePaths({ HOME: home });
  assert.equal(p.secretsFile, path.join(home, '.sregistry'));
  assert.equal(p.databaseFile, path.join(home, '.singularity', 'sregistry.db'));
  assert.equal(p.storageDir, path.join(home, '.singularity', 'shub'));
  const q = resolvePaths({
    HOME: home,
    SREGISTRY_CLIENT_SECRETS: '~/s.json',
    SREGISTRY_DATABASE: '/var/db',
    SREGISTRY_STORAGE: 'rel/store',
  });
  assert.equal(q.secretsFile, path.join(home, 's.json'));
  assert.equal(q.databaseFile, '/var/db/sregistry.db');
  assert.equal(q.storageDir, path.resolve('rel/store'));
});

test('booleans use the original words', () => {
  for (const yes of ['yes', 'TRUE', 't', '1', 'Y']) assert.equal(isTrue(yes), true, yes);
  for (const no of ['no', '0', '', 'false', undefined]) assert.equal(isTrue(no), false, String(no));
  assert.equal(databaseDisabled({ SREGISTRY_DISABLE: 'yes' }), true);
  assert.equal(databaseDisabled({ SINGULARITY_DISABLE_CACHE: 'true' }), true);
  assert.equal(databaseDisabled({}), false);
});

test('the secrets file is written atomically with mode 0600 and read back', async () => {
  const file = path.join(tmp(), 'secrets');
  const secrets = new SecretsFile(file);
  assert.deepEqual(secrets.read(), {});
  assert.equal(fs.existsSync(file), false, 'reading does not create the file');
  await secrets.update((d) => {
    d.registry = { token: 'abc', username: 'u', base: 'http://x' };
    d.SREGISTRY_CLIENT = 'registry';
  });
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const again = new SecretsFile(file);
  assert.equal(again.activeClient(), 'registry');
  assert.deepEqual(again.backends(), ['registry']);
  assert.equal(again.section('registry').token, 'abc');
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['secrets'], 'no temporary file left behind');
});

test('a broken secrets file is one clear error naming the file', () => {
  const dir = tmp();
  const cases: Array<[string, RegExp]> = [
    ['{not json', /not valid JSON/],
    ['[1,2]', /JSON object/],
    ['{"SREGISTRY_CLIENT": 5}', /SREGISTRY_CLIENT must be a string/],
    ['{"registry": "token"}', /section must be an object/],
  ];
  for (const [content, why] of cases) {
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, content);
    assert.throws(
      () => new SecretsFile(file).read(),
      (e: unknown) => isUserError(e) && e.code === 'ESECRETS' && e.message.includes(file) && why.test(e.message) && !e.line.includes('\n'),
    );
  }
  assert.throws(() => new SecretsFile(dir).read(), /is a folder/);
  const bad = new SecretsFile(path.join(dir, 'bad.json'));
  assert.throws(() => bad.section('registry'));
});

test('a secrets file that is not valid JSON is reported by line and column, never by its content', () => {
  const dir = tmp();
  const cases: Array<[string, string]> = [
    ['{"registry": {"username": "bob", "token": ghp_R3alS3cretT0kenValue}}', 'at line 1, column 43'],
    ['ghp_R3alS3cretT0kenValue', 'at line 1, column 1'],
    ['{\n  "registry": {\n    "token": "ok",\n    "password": hunter2hunter2\n  }\n}', 'at line 4, column 17'],
    ['{"registry": {"token": "abc123abc123"', 'at the end'],
    ['{"registry": {"token": "abc123abc123"}} trailing_s3cret', 'at line 1, column 41'],
    // a control character inside a string: the string that holds it
    ['{"registry": {"token": "abc\u0001def"}}', 'at line 1, column 24'],
  ];
  for (const [content, place] of cases) {
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, content);
    assert.throws(
      () => new SecretsFile(file).read(),
      (e: unknown) => {
        assert.ok(isUserError(e) && e.code === 'ESECRETS');
        assert.ok(e.line.includes(`not valid JSON (${place}`), `${e.line} names the place ${place}`);
        for (const secret of ['ghp_', 'R3al', 'hunter', 'abc123', 'trailing', 's3cret'])
          assert.ok(!e.line.includes(secret), `${e.line} quotes none of the file (${secret})`);
        return true;
      },
    );
  }
});

test('backend settings: environment first, then the backend section; never written back', async () => {
  const file = path.join(tmp(), 'secrets');
  const secrets = new SecretsFile(file);
  await secrets.update((d) => {
    d.registry = { SREGISTRY_REGISTRY_TOKEN: 'fromfile', SREGISTRY_REGISTRY_BASE: 'http://file' };
  });
  const before = fs.readFileSync(file, 'utf8');
  const s = backendSettings('registry', new SecretsFile(file), { SREGISTRY_REGISTRY_TOKEN: 'fromenv' });
  assert.equal(s.get('SREGISTRY_REGISTRY_TOKEN'), 'fromenv');
  assert.equal(s.get('SREGISTRY_REGISTRY_BASE'), 'http://file');
  assert.equal(s.get('MISSING'), undefined);
  assert.throws(
    () => s.require('SREGISTRY_REGISTRY_USERNAME'),
    (e: unknown) =>
      isUserError(e) &&
      /SREGISTRY_REGISTRY_USERNAME is not set/.test(e.message) &&
      // backend add takes the short name: `backend add registry SREGISTRY_REGISTRY_USERNAME x` is not what to type
      e.fix === 'export SREGISTRY_REGISTRY_USERNAME=..., or run: sregistry backend add registry username <value>',
  );
  const dashed = backendSettings('my-folder', new SecretsFile(file), {});
  assert.throws(
    () => dashed.require('SREGISTRY_MY_FOLDER_BASE'),
    (e: unknown) => isUserError(e) && e.fix === 'export SREGISTRY_MY_FOLDER_BASE=..., or run: sregistry backend add my-folder base <value>',
  );
  assert.equal(fs.readFileSync(file, 'utf8'), before, 'values from the environment are not persisted');
});

test('backend settings: a yes/no setting takes the yes and no words; anything else is one line naming it', async () => {
  const file = path.join(tmp(), 'secrets');
  const secrets = new SecretsFile(file);
  await secrets.update((d) => {
    d.oras = { SREGISTRY_ORAS_NOHTTPS: 'maybe' };
  });
  const read = (value: string | undefined) =>
    backendSettings('oras', new SecretsFile(file), { SREGISTRY_HTTPS_NOVERIFY: value }).getBoolean('SREGISTRY_HTTPS_NOVERIFY');
  for (const yes of ['yes', 'TRUE', 't', '1', 'Y', ' true ']) assert.equal(read(yes), true, yes);
  for (const no of ['no', 'False', 'f', '0', 'N', '', '  ', undefined]) assert.equal(read(no), false, String(no));
  for (const bad of ['maybe', 'on', 'off', '2', 'ture']) {
    assert.throws(
      () => read(bad),
      (e: unknown) =>
        isUserError(e) &&
        e.code === 'ESETTING' &&
        !e.line.includes('\n') &&
        e.line.startsWith(`SREGISTRY_HTTPS_NOVERIFY is "${bad}", not yes or no; set it to yes/true/t/y/1 or no/false/f/n/0`),
      bad,
    );
  }
  // the same for a value from the secrets file, whose fix names the command that removes it
  assert.throws(
    () => backendSettings('oras', new SecretsFile(file), {}).getBoolean('SREGISTRY_ORAS_NOHTTPS'),
    (e: unknown) => isUserError(e) && /"maybe", not yes or no.*sregistry backend rm oras SREGISTRY_ORAS_NOHTTPS$/.test(e.line),
  );
});

test('backend selection: scheme, then SREGISTRY_CLIENT, then the secrets file, then hub', async () => {
  const registry = new BackendRegistry()
    .register('registry', { createBackend: () => ({ name: 'registry' }) })
    .register('hub', { createBackend: () => ({ name: 'hub' }), schemes: ['shub'] });
  const file = path.join(tmp(), 'secrets');
  const secrets = new SecretsFile(file);
  assert.deepEqual(selectBackend({ env: {}, secrets, registry }), { name: 'hub', reason: 'default' });
  await secrets.update((d) => {
    d.SREGISTRY_CLIENT = 'registry';
  });
  const fresh = new SecretsFile(file);
  assert.deepEqual(selectBackend({ env: {}, secrets: fresh, registry }), { name: 'registry', reason: 'secrets' });
  assert.deepEqual(selectBackend({ env: { SREGISTRY_CLIENT: 'other' }, secrets: fresh, registry }), { name: 'other', reason: 'env' });
  assert.deepEqual(selectBackend({ uri: 'SHUB://a/b', env: { SREGISTRY_CLIENT: 'registry' }, secrets: fresh, registry }), {
    name: 'hub',
    reason: 'scheme',
  });
  assert.deepEqual(selectBackend({ uri: 'registry://a/b', env: {}, registry }), { name: 'registry', reason: 'scheme' });
  assert.throws(
    () => registry.module('nope'),
    (e: unknown) => isUserError(e) && /not installed/.test(e.message),
  );
  assert.throws(
    () => new BackendRegistry().module('registry'),
    (e: unknown) => isUserError(e) && /sregistry plugins link \S*\/packages\/backend-registry --no-install/.test(e.line),
  );
});

test('temp files a killed write left beside the secrets file are removed by the next write (dead process, or a day old)', async () => {
  const dir = tmp();
  const file = path.join(dir, '.sregistry');
  const elsewhere = (name: string) => name.replace(HOST_TAG, HOST_TAG === '0000abcd' ? '1111abcd' : '0000abcd');
  const dead = tempBeside(file, { pid: 4194305, token: '0a1b2c3d' }); // above pid_max: that process is gone
  const otherHostYoung = elsewhere(tempBeside(file, { pid: 4194306, token: '0a1b2c3e' }));
  const otherHostOld = elsewhere(tempBeside(file, { pid: 4194307, token: '0a1b2c3f' }));
  const legacyOld = path.join(dir, '..sregistry.4194305.0a1b2c3d.tmp');
  const other = tempBeside(path.join(dir, '.other'), { pid: 4194305, token: '0a1b2c3d' });
  for (const f of [dead, otherHostYoung, otherHostOld, legacyOld, other])
    fs.writeFileSync(f, '{"registry": {"token": "half-written"}}', { mode: 0o600 });
  const twoDaysAgo = new Date(Date.now() - 48 * 3600 * 1000);
  for (const f of [otherHostOld, legacyOld]) fs.utimesSync(f, twoDaysAgo, twoDaysAgo);
  await new SecretsFile(file).update((d) => {
    d.SREGISTRY_CLIENT = 'hub';
  });
  assert.deepEqual(
    fs.readdirSync(dir).sort(),
    [path.basename(otherHostYoung), path.basename(other), '.sregistry'].sort(),
    "this file's temps of a dead process and day-old ones go; another host's young one and other files' temps stay",
  );
  fs.rmSync(dir, { recursive: true, force: true });
});
