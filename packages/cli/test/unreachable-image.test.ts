// A record whose file is there but behind a folder closed to this user (another user's image in a 0700 home):
// inspect, mv and rename name the permission problem, not a missing file, and mv and rename exit 1 with the row and
// the file as they were. Permissions bind only a user who is not root, so as root the CLI runs as `nobody`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cleanEnv, runCli, sampleSif } from '@sregistry/testkit';
import { BIN } from './helpers';

function account(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

test('inspect, mv, rename, sign, verify, rm and rmi of an image behind a folder closed to the user say permission denied (EACCES)', async (t) => {
  const as = account();
  // the other account must reach the home: the test runner's temp folder is closed to others
  const home = fs.mkdtempSync('/tmp/sregistry-unreachable-test-');
  fs.chmodSync(home, 0o755);
  const closed = path.join(home, 'closed');
  t.after(() => {
    fs.chmodSync(closed, 0o755);
    fs.rmSync(home, { recursive: true, force: true });
  });
  const env = {
    HOME: home,
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
  };
  const run = (args: string[]) => runCli(BIN, args, { env, cwd: home });
  await sampleSif(path.join(home, 'a.sif'));
  assert.equal((await run(['add', '--copy', 'a.sif', '--name', 'c/n:v1'])).code, 0);
  fs.mkdirSync(closed);
  assert.equal((await run(['mv', 'c/n:v1', 'closed/'])).code, 0);
  const image = path.join(closed, fs.readdirSync(closed)[0] as string);
  fs.mkdirSync(path.join(home, 'mine'));
  const keys = crypto.generateKeyPairSync('ed25519');
  fs.writeFileSync(path.join(home, 'ed.pem'), keys.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  fs.writeFileSync(path.join(home, 'ed.pub'), keys.publicKey.export({ format: 'pem', type: 'spki' }));
  if (as) {
    // everything is the user's, except the folder holding the image, which is root's and closed
    for (const p of [home, ...fs.readdirSync(home, { recursive: true }).map((n) => path.join(home, String(n)))])
      fs.lchownSync(p, as.uid, as.gid);
    fs.chownSync(closed, 0, 0);
    fs.chownSync(image, 0, 0);
    fs.chmodSync(closed, 0o700);
  } else {
    fs.chmodSync(closed, 0o000);
  }
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], { env: cleanEnv(env), cwd: home, encoding: 'utf8', ...(as ?? {}) });
  const escaped = image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  const inspect = cli(['inspect', 'c/n:v1']);
  assert.equal(inspect.status, 0, inspect.stderr);
  assert.equal(inspect.stderr, `WARNING cannot read image file ${image}: permission denied (EACCES) by a folder on its path\n`);

  // sign, verify, rm and rmi said the file was missing ("pull or add the image again"; rm: "did not exist")
  for (const args of [
    ['mv', 'c/n:v1', 'mine/'],
    ['rename', 'c/n:v1', 'c/other:v1'],
    ['sign', 'c/n:v1', '--key', 'ed.pem'],
    ['verify', 'c/n:v1', '--key', 'ed.pub'],
    ['rm', 'c/n:v1'],
    ['rmi', 'c/n:v1'],
  ]) {
    const r = cli(args);
    assert.equal(r.status, 1, `${args[0]}: ${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      new RegExp(
        `^ERROR cannot reach ${escaped} \\(c/n:v1@[0-9a-f]{64}\\): permission denied \\(EACCES\\) by a folder on its path; ask the folder's owner for access, or work on an image of your own\n$`,
      ),
      args[0],
    );
    const json = cli([...args, '--json']);
    assert.equal(JSON.parse(json.stdout).error.code, 'EACCES');
  }
  fs.chmodSync(closed, 0o755);
  assert.ok(fs.existsSync(image), 'the file stays');
  assert.deepEqual(fs.readdirSync(path.join(home, 'mine')), [], 'nothing moved');
  assert.equal((await run(['get', 'c/n:v1'])).stdout.trim(), image, 'the row is unchanged');
});
