// Where the backend talks to, with which token: SREGISTRY_LIBRARY_BASE/TOKEN, Apptainer's remote.yaml (active
// remote's URI and token), a URI's own host, and a token never handed to another server than its own.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import * as core from '../../core/src/index';
import { chooseTarget, DEFAULT_REMOTE } from '../src/client';
import { readRemotes } from '../src/remote-config';

const host = core.backendHost();
const homes: string[] = [];
after(() => {
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
});

function home(yaml?: string, where = '.apptainer'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'library-settings-'));
  homes.push(dir);
  if (yaml !== undefined) {
    fs.mkdirSync(path.join(dir, where));
    fs.writeFileSync(path.join(dir, where, 'remote.yaml'), yaml);
  }
  return dir;
}

function ctx(values: Record<string, string | undefined>, secretsFile: Record<string, string> = {}) {
  const warnings: string[] = [];
  return {
    warnings,
    settings: {
      get: (n: string) => values[n] ?? secretsFile[n],
      fromSecretsFile: (n: string) => secretsFile[n],
      getBoolean: (n: string) => /^(1|true|yes)$/i.test(values[n] ?? ''),
      require: (n: string) => values[n] ?? '',
    },
    log: { debug() {}, info() {}, warn: (m: string) => warnings.push(m) },
  };
}

const REMOTES = `Active: mine
Remotes:
  SylabsCloud:
    URI: cloud.sylabs.io
    Token: sylabs-token-1
    System: true
  mine:
    URI: registry.example.org
    Token: "mine-token-2"
    Insecure: false
  plain:
    URI: 127.0.0.1:8000
    Insecure: true
`;

test('remote.yaml: the active remote with its token; https unless Insecure; SingularityCE file too', () => {
  const config = readRemotes(home(REMOTES), () => {});
  assert.equal(config.active?.name, 'mine');
  assert.equal(config.active?.url, 'https://registry.example.org');
  assert.equal(config.active?.token, 'mine-token-2');
  assert.equal(config.all.find((r) => r.name === 'plain')?.url, 'http://127.0.0.1:8000');
  const ce = readRemotes(home('Remotes:\n  only:\n    URI: lib.example.com\n', '.singularity'), () => {});
  assert.equal(ce.active?.url, 'https://lib.example.com', 'the only remote is the active one');
  const warnings: string[] = [];
  assert.deepEqual(readRemotes(home('Active: [\n'), (m) => warnings.push(m)).all, []);
  assert.match(warnings[0], /not valid YAML/);
  const typo = readRemotes(home('Active: missing\nRemotes:\n  mine:\n    URI: lib.example.com\n'), (m) => warnings.push(m));
  assert.equal(typo.active, undefined);
  assert.match(warnings[1], /names the active remote "missing", which it does not define \(remotes: mine\): it is not used/);
});

test('SREGISTRY_LIBRARY_BASE and _TOKEN win; with neither, the active remote; with nothing, the default', () => {
  const h = home(REMOTES);
  assert.deepEqual(
    chooseTarget(host, ctx({ HOME: h, SREGISTRY_LIBRARY_BASE: 'http://127.0.0.1:9/', SREGISTRY_LIBRARY_TOKEN: 't' }), undefined),
    {
      url: 'http://127.0.0.1:9',
      token: 't',
      source: 'SREGISTRY_LIBRARY_BASE',
      tokenFrom: 'setting',
    },
  );
  const fromRemote = chooseTarget(host, ctx({ HOME: h }), undefined);
  assert.equal(fromRemote.url, 'https://registry.example.org');
  assert.equal(fromRemote.token, 'mine-token-2');
  assert.equal(typeof fromRemote.tokenFrom === 'object' && fromRemote.tokenFrom.remote, 'mine', 'a refused token names its remote');
  const none = chooseTarget(host, ctx({ HOME: home() }), undefined);
  assert.equal(none.url, DEFAULT_REMOTE);
  assert.equal(none.token, undefined);
});

test("a remote's token never goes to another server than the remote's", () => {
  const h = home(REMOTES);
  const other = chooseTarget(host, ctx({ HOME: h, SREGISTRY_LIBRARY_BASE: 'https://elsewhere.example.net' }), undefined);
  assert.equal(other.token, undefined, 'the base is not the remote: no remote token');
  const same = chooseTarget(host, ctx({ HOME: h, SREGISTRY_LIBRARY_BASE: 'https://cloud.sylabs.io' }), undefined);
  assert.equal(same.token, 'sylabs-token-1', 'the base is that remote: its token');
  const uri = chooseTarget(host, ctx({ HOME: h, SREGISTRY_LIBRARY_TOKEN: 'configured' }), 'unknown.example.com');
  assert.equal(uri.url, 'https://unknown.example.com');
  assert.equal(uri.token, undefined, 'the configured token is not sent to a host the URI names');
  const known = chooseTarget(host, ctx({ HOME: h }), 'cloud.sylabs.io');
  assert.equal(known.token, 'sylabs-token-1');
  assert.equal(chooseTarget(host, ctx({ HOME: h, SREGISTRY_LIBRARY_NOHTTPS: 'true' }), '127.0.0.1:5').url, 'http://127.0.0.1:5');
});

test('a URI naming the host a login was saved for gets the saved token; any other host does not', () => {
  const saved = { SREGISTRY_LIBRARY_TOKEN: 'saved-t0ken', SREGISTRY_LIBRARY_LOGIN_HOST: '127.0.0.1:5077' };
  const h = home(REMOTES);
  const same = chooseTarget(host, ctx({ HOME: h, SREGISTRY_LIBRARY_NOHTTPS: 'true' }, saved), '127.0.0.1:5077');
  assert.equal(same.url, 'http://127.0.0.1:5077');
  assert.equal(same.token, 'saved-t0ken');
  assert.equal(chooseTarget(host, ctx({ HOME: h }, saved), '127.0.0.1:5078').token, undefined, 'another port is another host');
  assert.equal(chooseTarget(host, ctx({ HOME: h }, saved), 'cloud.sylabs.io').token, 'sylabs-token-1', "another host: its remote's");
  // the saved token wins over a remote's for the host it was saved for (as it does for the base)
  const forRemote = { ...saved, SREGISTRY_LIBRARY_LOGIN_HOST: 'cloud.sylabs.io' };
  assert.equal(chooseTarget(host, ctx({ HOME: h }, forRemote), 'cloud.sylabs.io').token, 'saved-t0ken');
  // a token set for the command is not for the URI's host, saved login or not
  const told = ctx({ HOME: h, SREGISTRY_LIBRARY_TOKEN: 'told' }, { SREGISTRY_LIBRARY_LOGIN_HOST: '127.0.0.1:5077' });
  assert.equal(chooseTarget(host, told, '127.0.0.1:5077').token, undefined);
  // an older file: the host of the base saved beside the token
  const older = { SREGISTRY_LIBRARY_TOKEN: 'saved-t0ken', SREGISTRY_LIBRARY_BASE: 'https://lib.example.org' };
  assert.equal(chooseTarget(host, ctx({ HOME: home() }, older), 'lib.example.org').token, 'saved-t0ken');
  assert.equal(chooseTarget(host, ctx({ HOME: home() }, { SREGISTRY_LIBRARY_TOKEN: 'saved-t0ken' }), 'lib.example.org').token, undefined);
});

test('a base that is not http(s) is one line', () => {
  assert.throws(
    () => chooseTarget(host, ctx({ HOME: home(), SREGISTRY_LIBRARY_BASE: 'ftp://x' }), undefined),
    (error: unknown) => core.isUserError(error) && error.code === 'ESETTING',
  );
});

test('a base with white space or control characters is refused as library login --base refuses it', () => {
  for (const base of ['http://127.0.0.1:9/ x', 'http://127.0.0.1:9/\tx', 'http://127.0.0.1:9/x\u001b[31m']) {
    assert.throws(
      () => chooseTarget(host, ctx({ HOME: home(), SREGISTRY_LIBRARY_BASE: base }), undefined),
      (error: unknown) =>
        core.isUserError(error) &&
        error.code === 'ESETTING' &&
        /white-space characters/.test(error.message) &&
        !/[\u0000-\u001f]/.test(error.message),
    );
  }
});
