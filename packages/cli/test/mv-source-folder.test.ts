// `mv` of an image whose folder the user may not change: refused before anything is copied, in one line naming
// that folder (not the destination, which is fine), with the row and the file kept. Permissions bind only a user
// who is not root, so as root the CLI runs as `nobody`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cleanEnv, runCli, sampleSif } from '@sregistry/testkit';
import { BIN, cliInTempHome } from './helpers';

/** cliInTempHome's CLI in a given folder. */
function inHome(home: string): ReturnType<typeof cliInTempHome> {
  const env = {
    HOME: home,
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
  };
  return {
    home,
    env,
    cleanup: () => fs.rmSync(home, { recursive: true, force: true }),
    run: (args: string[], options: { env?: Record<string, string | undefined> } = {}) =>
      runCli(BIN, args, { env: { ...env, ...options.env }, cwd: home }),
  };
}

function account(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

test('mv out of a folder the user cannot write names that folder; row and file are kept', async (t) => {
  const as = account();
  // the other account must reach the home: the test runner's temp folder is closed to others
  const cli = as ? inHome(fs.mkdtempSync('/tmp/sregistry-mv-test-')) : cliInTempHome();
  t.after(() => cli.cleanup());
  await sampleSif(path.join(cli.home, 'a.sif'));
  assert.equal((await cli.run(['add', '--copy', 'a.sif', '--name', 'c/n:v1'])).code, 0);
  const image = (await cli.run(['get', 'c/n:v1'])).stdout.trim();
  const folder = path.dirname(image);
  const dest = path.join(cli.home, 'mine');
  fs.mkdirSync(dest);
  if (as) {
    // everything the user needs is theirs, except the image's folder
    for (const p of [cli.home, ...fs.readdirSync(cli.home, { recursive: true }).map((n) => path.join(cli.home, String(n)))]) {
      fs.lchownSync(p, as.uid, as.gid);
    }
    fs.chownSync(folder, 0, 0);
    fs.chmodSync(folder, 0o755);
  } else {
    fs.chmodSync(folder, 0o555);
    t.after(() => fs.chmodSync(folder, 0o755));
  }
  const r = spawnSync(process.execPath, [BIN, 'mv', 'c/n:v1', path.join(dest, 'y.sif')], {
    env: cleanEnv(cli.env),
    cwd: cli.home,
    encoding: 'utf8',
    ...(as ?? {}),
  });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(
    r.stderr,
    `ERROR cannot move ${image}: its folder ${folder} is not writable, and a move removes the file from it; ask the folder's owner for write permission, or copy the image instead\n`,
  );
  assert.ok(fs.existsSync(image), 'the file stays');
  assert.deepEqual(fs.readdirSync(dest), [], 'nothing copied to the destination');
  assert.equal((await cli.run(['get', 'c/n:v1'])).stdout.trim(), image, 'the row is unchanged');
});

test('rmi of an image in a folder the user cannot write names the folder and the deletion; row and file are kept', async (t) => {
  const as = account();
  const cli = as ? inHome(fs.mkdtempSync('/tmp/sregistry-rmi-test-')) : cliInTempHome();
  t.after(() => cli.cleanup());
  await sampleSif(path.join(cli.home, 'a.sif'));
  assert.equal((await cli.run(['add', '--copy', 'a.sif', '--name', 'c/n:v1'])).code, 0);
  const image = (await cli.run(['get', 'c/n:v1'])).stdout.trim();
  const folder = path.dirname(image);
  if (as) {
    for (const p of [cli.home, ...fs.readdirSync(cli.home, { recursive: true }).map((n) => path.join(cli.home, String(n)))]) {
      fs.lchownSync(p, as.uid, as.gid);
    }
    fs.chownSync(folder, 0, 0);
    fs.chmodSync(folder, 0o755);
  } else {
    fs.chmodSync(folder, 0o555);
    t.after(() => fs.chmodSync(folder, 0o755));
  }
  const r = spawnSync(process.execPath, [BIN, 'rmi', 'c/n:v1'], { env: cleanEnv(cli.env), cwd: cli.home, encoding: 'utf8', ...(as ?? {}) });
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `^ERROR cannot delete ${image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: its folder .* is not writable, and deleting a file changes its folder; ask the folder's owner for write permission, or \`sregistry rm c/n:v1@[0-9a-f]{64}\` drops the record and keeps the file\n$`,
    ),
  );
  assert.ok(fs.existsSync(image), 'the file stays');
  assert.equal((await cli.run(['get', 'c/n:v1'])).stdout.trim(), image, 'the row is unchanged');
});
