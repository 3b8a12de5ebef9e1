// The crash-test pause points do nothing unless a test arms them inside the process: the environment variables the
// crash tests use are read only by the testkit's preload, never by core.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

const HOOKS = path.resolve(__dirname, '..', 'dist', 'testing-hooks.js');
// by path: core does not depend on the testkit (the testkit depends on core)
const PRELOAD = path.resolve(__dirname, '..', '..', 'testkit', 'bin', 'arm-pause-point.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'core-testing-hooks-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs a script that passes the point `pull-downloaded` (and 10 bytes of `download-bytes`) and then says done. */
function run(env: Record<string, string>, nodeArgs: string[] = [], timeout = 30_000) {
  const script = `const h = require(${JSON.stringify(HOOKS)}); h.pausePoint('pull-downloaded'); h.pauseAtBytes('download-bytes', 10); process.stdout.write('done');`;
  return new Promise<{ stdout: string; stderr: string; killed: boolean }>((resolve) => {
    execFile(process.execPath, [...nodeArgs, '-e', script], { env: { PATH: process.env.PATH, ...env }, timeout }, (error, stdout, stderr) =>
      resolve({ stdout: String(stdout), stderr: String(stderr), killed: Boolean(error?.killed) }),
    );
  });
}

test('the pause variables alone do nothing: the process runs through', async () => {
  assert.ok(fs.existsSync(HOOKS), `${HOOKS} is missing: build first`);
  const file = path.join(dir, 'alone');
  const r = await run({ SREGISTRY_TEST_PAUSE_AT: 'pull-downloaded', SREGISTRY_TEST_PAUSE_FILE: file });
  assert.equal(r.stdout, 'done');
  assert.ok(!fs.existsSync(file), 'nothing announced');
  const bytes = await run({ SREGISTRY_TEST_PAUSE_AT: 'download-bytes', SREGISTRY_TEST_PAUSE_BYTES: '1' });
  assert.equal(bytes.stdout, 'done');
});

test('control: armed in the process by the testkit preload, the same point freezes and announces itself', async () => {
  const file = path.join(dir, 'armed');
  const r = await run({ SREGISTRY_TEST_PAUSE_AT: 'pull-downloaded', SREGISTRY_TEST_PAUSE_FILE: file }, ['--require', PRELOAD], 8_000);
  assert.ok(r.killed, 'frozen until the timeout killed it');
  assert.equal(r.stdout, '');
  assert.match(fs.readFileSync(file, 'utf8'), /^paused pull-downloaded pid \d+\n$/);
  const bytes = await run({ SREGISTRY_TEST_PAUSE_AT: 'download-bytes', SREGISTRY_TEST_PAUSE_BYTES: '10' }, ['--require', PRELOAD], 8_000);
  assert.ok(bytes.killed);
  assert.match(bytes.stderr, /^paused download-bytes 10 pid \d+\n$/);
});
