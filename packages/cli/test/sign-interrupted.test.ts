// Ctrl-C during `sign` (docs/errors.md, ECANCELLED): at the passphrase prompt, while stdin is awaited, and while the
// temp copy of the image exists, the command ends with one line, exit 130, the image as it was and nothing left
// beside it. Ctrl-D (no answer) is refused in one line rather than ending as a success that signed nothing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { cleanEnv, runInPty } from '@sregistry/testkit';
import { openpgp } from '../../core/src/sif/signature/index';
import { BIN } from './helpers';
import { holdAtPoint, type Sandbox, sandbox, signalWhen } from './reliability-helpers';

const UNSIGNED = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'sif-signatures', 'one-group.sif');
const HOLD_AFTER_COPY = path.join(__dirname, 'fixtures', 'hold-after-copy.cjs');
/** what the terminal showed, without its colour and cursor codes */
const plain = (output: string) => output.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
const sha256 = (p: string) => crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
let sb: Sandbox;
let lockedKey: string;
let n = 0;

before(async () => {
  sb = sandbox();
  const { privateKey } = await openpgp().generateKey({
    type: 'ecc',
    userIDs: [{ name: 'Signer', email: 'signer@example.org' }],
    passphrase: 'correct horse',
    format: 'armored',
  });
  lockedKey = path.join(sb.home, 'locked.asc');
  fs.writeFileSync(lockedKey, privateKey);
});
after(() => sb.cleanup());

/** A copy of the unsigned fixture alone in a folder of its own, so that anything left beside it shows. */
function lonelyImage(): { dir: string; image: string } {
  const dir = path.join(sb.home, `images-${n++}`);
  fs.mkdirSync(dir);
  const image = path.join(dir, 'image.sif');
  fs.copyFileSync(UNSIGNED, image);
  return { dir, image };
}

for (const json of [false, true]) {
  test(`Ctrl-C at the terminal's passphrase prompt: ECANCELLED, exit 130, nothing signed${json ? ' (--json envelope)' : ''}`, async () => {
    const { dir, image } = lonelyImage();
    const run = runInPty(process.execPath, [BIN, 'sign', image, '--key', lockedKey, ...(json ? ['--json'] : [])], {
      env: sb.env,
      cwd: sb.home,
    });
    await run.waitFor(`Passphrase for ${lockedKey}: `);
    run.write('\u0003');
    assert.equal(await run.exited, 130, run.output);
    if (json) {
      const document = JSON.parse(run.output.slice(run.output.indexOf('{')));
      assert.deepEqual(document, { error: { message: 'sign cancelled', code: 'ECANCELLED', exitCode: 130 } });
    } else {
      assert.match(plain(run.output), /^ERROR sign cancelled$/m);
    }
    assert.equal(sha256(image), sha256(UNSIGNED));
    assert.deepEqual(fs.readdirSync(dir), ['image.sif']);
  });
}

test('Ctrl-D or Enter alone at the passphrase prompt: "no passphrase given", exit 1, nothing signed', async () => {
  for (const answer of ['\u0004', '\r']) {
    const { image } = lonelyImage();
    const run = runInPty(process.execPath, [BIN, 'sign', image, '--key', lockedKey], { env: sb.env, cwd: sb.home });
    await run.waitFor(`Passphrase for ${lockedKey}: `);
    run.write(answer);
    assert.equal(await run.exited, 1, run.output);
    assert.ok(
      plain(run.output).includes(`\nERROR no passphrase given at the prompt for ${lockedKey}; the key is locked: type its passphrase`),
      run.output,
    );
    assert.equal(sha256(image), sha256(UNSIGNED));
  }
});

test('Ctrl-C while the passphrase is awaited on stdin (a pipe that stays open): ECANCELLED, exit 130', async () => {
  const { dir, image } = lonelyImage();
  const child = spawn(process.execPath, [BIN, 'sign', image, '--key', lockedKey, '--debug'], {
    env: cleanEnv(sb.env),
    cwd: sb.home,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const waiting = new Promise<void>((resolve) => {
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
      if (stderr.includes('reading the passphrase for')) resolve();
    });
  });
  // a sign that never says it waits must fail the test, not hang it
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await Promise.race([waiting, exited]);
  child.kill('SIGINT');
  const code = await exited;
  clearTimeout(guard);
  assert.equal(code, 130, stderr);
  assert.match(stderr, /^ERROR sign cancelled$/m);
  child.stdin.destroy();
  assert.equal(sha256(image), sha256(UNSIGNED));
  assert.deepEqual(fs.readdirSync(dir), ['image.sif']);
});

test('Ctrl-C while the temp copy of the image exists: it is removed, ECANCELLED, exit 130, the image as it was', async () => {
  const { dir, image } = lonelyImage();
  const keyFile = path.join(sb.home, `ed25519-${n++}.pem`);
  fs.writeFileSync(keyFile, crypto.generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const copied = path.join(sb.home, `copied-${n++}`);
  let temps: string[] = [];
  const r = await signalWhen(
    sb,
    ['sign', image, '--key', keyFile],
    async () => {
      while (!fs.existsSync(copied)) await new Promise((resolve) => setTimeout(resolve, 20));
      temps = fs.readdirSync(dir).filter((f) => f.startsWith('.image.sif.sregistry-'));
    },
    'SIGINT',
    { env: { NODE_OPTIONS: `--require ${HOLD_AFTER_COPY}`, HOLD_AFTER_COPY_FILE: copied } },
  );
  assert.ok(r.sent, `sign ended before the signal (exit ${r.code}): ${r.stderr}`);
  assert.equal(temps.length, 1, 'the temp copy was there when Ctrl-C came');
  assert.equal(r.code, 130, r.stderr);
  assert.equal(r.stderr.trim(), 'ERROR sign cancelled');
  assert.deepEqual(fs.readdirSync(dir), ['image.sif'], 'no temp left beside the image');
  assert.equal(sha256(image), sha256(UNSIGNED));
});

for (const json of [false, true]) {
  test(`Ctrl-C while verify hashes the image: ECANCELLED, exit 130, the cancel line as sign's${json ? ' (--json envelope)' : ''}`, async () => {
    const signed = path.join(path.dirname(UNSIGNED), 'one-group-signed-dsse.sif');
    const publicKey = path.join(path.dirname(UNSIGNED), 'ed25519-public.pem');
    const reading = path.join(sb.home, `reading-${n++}`);
    const r = await signalWhen(
      sb,
      ['verify', signed, '--key', publicKey, ...(json ? ['--json'] : [])],
      async () => {
        while (!fs.existsSync(reading)) await new Promise((resolve) => setTimeout(resolve, 20));
      },
      'SIGINT',
      { env: { NODE_OPTIONS: `--require ${path.join(__dirname, 'fixtures', 'hold-object-read.cjs')}`, HOLD_READ_FILE: reading } },
    );
    assert.ok(r.sent, `verify ended before the signal (exit ${r.code}): ${r.stderr}`);
    assert.equal(r.code, 130, r.stdout + r.stderr);
    if (json) assert.deepEqual(JSON.parse(r.stdout), { error: { message: 'verify cancelled', code: 'ECANCELLED', exitCode: 130 } });
    else assert.equal(r.stderr.trim(), 'ERROR verify cancelled');
  });
}

test('a sign stopped (kill -STOP) past its lock stale time, whose lock another sign took over: EFILECHANGED in one line, that sign kept', async () => {
  const { dir, image } = lonelyImage();
  const keys = [1, 2].map((i) => {
    const pair = crypto.generateKeyPairSync('ed25519');
    const file = path.join(dir, `..`, `stopped-${n}-${i}.pem`);
    fs.writeFileSync(file, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    fs.writeFileSync(`${file}.pub`, pair.publicKey.export({ format: 'pem', type: 'spki' }));
    return file;
  });
  const held = await holdAtPoint(sb, ['sign', image, '--key', keys[0]], 'sign-before-replace-held');
  assert.ok(held.reached);
  process.kill(held.pid, 'SIGSTOP');
  let first: Awaited<ReturnType<typeof held.resume>>;
  try {
    // waits for the stopped sign's lock to go stale (10 s), takes it over and signs
    const second = await sb.run(['sign', image, '--key', keys[1]]);
    assert.equal(second.code, 0, second.stderr);
  } finally {
    const resumed = held.resume();
    process.kill(held.pid, 'SIGCONT');
    first = await resumed;
  }
  assert.equal(first.code, 1, first.stdout + first.stderr);
  assert.equal(first.stderr.trim().split('\n').length, 1, first.stderr);
  assert.match(
    first.stderr,
    /^ERROR the lock of .*image\.sif \(.*image\.sif\.lock\) was taken over by another command while this one was stopped: nothing was changed; run it again$/m,
  );
  assert.doesNotMatch(first.stderr, /ECOMPROMISED|at /);
  assert.equal((await sb.run(['verify', image, '--key', `${keys[1]}.pub`])).code, 0, 'the second signature is kept');
  assert.notEqual((await sb.run(['verify', image, '--key', `${keys[0]}.pub`])).code, 0, 'the stopped sign added nothing');
  assert.deepEqual(fs.readdirSync(dir), ['image.sif']);
});
