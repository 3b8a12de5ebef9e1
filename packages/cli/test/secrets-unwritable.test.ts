// A secrets file the user protected, or one in a folder they cannot write: the command changes nothing and says
// why in one line (not "unexpected failure"). Permissions bind only a user who is not root, so for the folder case
// the CLI runs as `nobody` when the tests run as root.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cleanEnv } from '@sregistry/testkit';
import { BIN } from './helpers';

function account(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** A home the other account can reach (the test runner's temp folder is closed to others). */
function home(t: { after(fn: () => void): void }): { dir: string; env: Record<string, string> } {
  const dir = fs.mkdtempSync('/tmp/sregistry-secrets-test-');
  fs.chmodSync(dir, 0o755);
  t.after(() => {
    // a folder the test locked is opened again first, so that it can be removed
    for (const name of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, name), 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const env = {
    HOME: dir,
    XDG_DATA_HOME: path.join(dir, '.local', 'share'),
    XDG_CACHE_HOME: path.join(dir, '.cache'),
    XDG_CONFIG_HOME: path.join(dir, '.config'),
    SREGISTRY_DATABASE: path.join(dir, 'db'),
    SREGISTRY_STORAGE: path.join(dir, 'storage'),
  };
  return { dir, env };
}

/** The CLI run in `dir` with the secrets file `secrets`, as `as` when given (root runs it as nobody). */
function cli(dir: string, env: Record<string, string>, secrets: string, args: string[], as?: { uid: number; gid: number }) {
  return spawnSync(process.execPath, [BIN, ...args], {
    env: cleanEnv({ ...env, SREGISTRY_CLIENT_SECRETS: secrets }),
    cwd: dir,
    encoding: 'utf8',
    ...(as ?? {}),
  });
}

const CONTENT = `${JSON.stringify({ registry: { SREGISTRY_REGISTRY_USERNAME: 'kept' } }, null, 4)}\n`;

test('a read-only (0444) secrets file is not replaced: one line, exit 1, the file and its mode as they were', (t) => {
  const { dir, env } = home(t);
  const file = path.join(dir, '.sregistry');
  fs.writeFileSync(file, CONTENT);
  fs.chmodSync(file, 0o444);
  const r = cli(dir, env, file, ['backend', 'activate', 'hub']);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(
    r.stderr,
    `ERROR The secrets file ${file} is read-only (mode 0444): nothing was changed; make it writable (chmod 600 ${file}) to change it, or point SREGISTRY_CLIENT_SECRETS at another file\n`,
  );
  assert.equal(fs.readFileSync(file, 'utf8'), CONTENT);
  assert.equal(fs.statSync(file).mode & 0o777, 0o444);
});

test('a secrets file in a folder the user cannot write: EACCES naming the folder, not an internal error', (t) => {
  const as = account();
  const { dir, env } = home(t);
  const folder = path.join(dir, 'locked');
  fs.mkdirSync(folder);
  const file = path.join(folder, 'secrets.json');
  fs.writeFileSync(file, CONTENT, { mode: 0o644 });
  if (as) for (const p of [dir, file]) fs.chownSync(p, as.uid, as.gid);
  fs.chmodSync(folder, 0o555);
  const started = Date.now();
  const r = cli(dir, env, file, ['backend', 'activate', 'hub', '--json'], as);
  assert.equal(r.status, 1, r.stderr);
  const { error } = JSON.parse(r.stdout);
  assert.equal(error.code, 'EACCES');
  assert.equal(error.message, `The secrets file ${file} cannot be written: its folder ${folder} is not writable (EACCES)`);
  assert.equal(fs.readFileSync(file, 'utf8'), CONTENT);
  assert.deepEqual(fs.readdirSync(folder), ['secrets.json'], 'no temp file left');
  // no lock can be made there: the write fails at once instead of after the lock's ~12 s of retries
  assert.ok(Date.now() - started < 8000, `took ${Date.now() - started} ms`);
});

test('a secrets file in folders that do not exist yet: made at once, without waiting on a lock', (t) => {
  const { dir, env } = home(t);
  const file = path.join(dir, 'new', 'deeper', 'secrets.json');
  const started = Date.now();
  const r = cli(dir, env, file, ['backend', 'activate', 'hub']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).SREGISTRY_CLIENT, 'hub');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.ok(Date.now() - started < 8000, `took ${Date.now() - started} ms`);
});

test('a secrets file whose folder does not exist and cannot be made says so; backend remove prints nothing before the error', (t) => {
  const as = account();
  const { dir, env } = home(t);
  const parent = path.join(dir, 'closed');
  fs.mkdirSync(parent);
  if (as) fs.chownSync(dir, as.uid, as.gid);
  fs.chmodSync(parent, 0o555);
  const missing = path.join(parent, 'sub', 'secrets.json');
  const r = cli(dir, env, missing, ['backend', 'activate', 'hub'], as);
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `^ERROR The secrets file ${missing} cannot be written: its folder ${path.dirname(missing)} does not exist and cannot be made \\(EACCES\\); `,
    ),
  );
  // a setting to remove, in a folder that cannot take the new file
  const locked = path.join(dir, 'locked-remove');
  fs.mkdirSync(locked);
  const file = path.join(locked, 'secrets.json');
  fs.writeFileSync(file, CONTENT, { mode: 0o644 });
  if (as) for (const p of [locked, file]) fs.chownSync(p, as.uid, as.gid);
  fs.chmodSync(locked, 0o555);
  const removed = cli(dir, env, file, ['backend', 'remove', 'registry', 'username'], as);
  assert.equal(removed.status, 1, removed.stderr);
  assert.equal(removed.stdout, '', 'no [remove] before the failure');
  assert.equal(fs.readFileSync(file, 'utf8'), CONTENT);
});
