import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { cleanEnv } from '@sregistry/testkit';
import { openpgp } from '../../core/src/sif/signature/index';
import { cliInTempHome } from './helpers';

const UNSIGNED = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'sif-signatures', 'one-group.sif');
const cli = cliInTempHome();
after(() => cli.cleanup());
let n = 0;
const file = (name: string) => path.join(cli.home, `${n++}-${name}`);
const sha256 = (p: string) => crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');

function copyUnsigned(): string {
  const target = file('image.sif');
  fs.copyFileSync(UNSIGNED, target);
  return target;
}

test('sign with a passphrase-protected OpenPGP key (passphrase on stdin), then verify; a wrong passphrase changes nothing', async () => {
  const { privateKey, publicKey } = await openpgp().generateKey({
    type: 'ecc',
    userIDs: [{ name: 'Signer', email: 'signer@example.org' }],
    passphrase: 'correct horse',
    format: 'armored',
  });
  const privateFile = file('private.asc');
  const publicFile = file('public.asc');
  fs.writeFileSync(privateFile, privateKey);
  fs.writeFileSync(publicFile, publicKey);
  const image = copyUnsigned();

  const wrong = await cli.run(['sign', image, '--key', privateFile], { input: 'wrong\n' });
  assert.equal(wrong.code, 1);
  assert.equal(wrong.stderr.trim(), `ERROR the passphrase for ${privateFile} is wrong; type it again, or give it on stdin`);
  assert.equal(sha256(image), sha256(UNSIGNED));

  const signed = await cli.run(['sign', image, '--key', privateFile], { input: 'correct horse\n' });
  assert.equal(signed.code, 0, signed.stderr);
  assert.match(signed.stdout, /Signed object group 1 \(objects 1, 2\) with OpenPGP key [0-9A-F]{40}/);
  assert.doesNotMatch(signed.stdout + signed.stderr, /correct horse/);

  const verified = await cli.run(['verify', image, '--key', publicFile]);
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, /Signer: {3}Signer <signer@example\.org>/);
});

for (const [label, pair] of [
  ['Ed25519', () => crypto.generateKeyPairSync('ed25519')],
  ['RSA', () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ['ECDSA P-256', () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })],
] as const) {
  test(`sign with a ${label} PEM key (DSSE), verify with its public key`, async () => {
    const keys = pair();
    const privateFile = file('private.pem');
    const publicFile = file('public.pem');
    fs.writeFileSync(privateFile, keys.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    fs.writeFileSync(publicFile, keys.publicKey.export({ format: 'pem', type: 'spki' }));
    const image = copyUnsigned();
    const signed = await cli.run(['sign', image, '--key', privateFile, '--json']);
    assert.equal(signed.code, 0, signed.stderr);
    assert.equal(JSON.parse(signed.stdout).signatures[0].format, 'dsse');
    const verified = await cli.run(['verify', image, '--key', publicFile, '--json']);
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal(JSON.parse(verified.stdout).signatures[0].status, 'verified');
  });
}

test('sign refuses a public key, with one line and the image untouched', async () => {
  const image = copyUnsigned();
  const publicFile = file('public.pem');
  fs.writeFileSync(publicFile, crypto.generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }));
  const result = await cli.run(['sign', image, '--key', publicFile]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /holds a public key .*; signing needs the private key/);
  assert.equal(sha256(image), sha256(UNSIGNED));
});

test('signing a catalogued image updates its record: a content version follows the new sha256, a named one stays', async () => {
  const keys = crypto.generateKeyPairSync('ed25519');
  const privateFile = file('private.pem');
  const publicFile = file('public.pem');
  fs.writeFileSync(privateFile, keys.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  fs.writeFileSync(publicFile, keys.publicKey.export({ format: 'pem', type: 'spki' }));

  assert.equal((await cli.run(['add', copyUnsigned(), '--name', 'lab/tool:v1'])).code, 0);
  const before = JSON.parse((await cli.run(['inspect', 'lab/tool:v1', '--json'])).stdout);
  assert.equal(before.version, sha256(UNSIGNED));
  const signed = await cli.run(['sign', 'lab/tool:v1', '--key', privateFile, '--json']);
  assert.equal(signed.code, 0, signed.stderr);
  const result = JSON.parse(signed.stdout);
  assert.equal(result.version, sha256(result.path));
  assert.notEqual(result.version, before.version);
  assert.equal(fs.existsSync(before.image), false, 'the unsigned file is gone');
  const images = (await cli.run(['images', 'lab/tool', '--json'])).stdout;
  assert.equal(JSON.parse(images).length, 1, images);
  const after = JSON.parse((await cli.run(['inspect', 'lab/tool:v1', '--json'])).stdout);
  assert.equal(after.version, result.version);
  assert.equal(after.image, result.path);
  assert.equal((await cli.run(['verify', 'lab/tool:v1', '--key', publicFile])).code, 0);

  assert.equal((await cli.run(['add', copyUnsigned(), '--name', 'lab/named:v1@release'])).code, 0);
  const named = JSON.parse((await cli.run(['inspect', 'lab/named:v1@release', '--json'])).stdout);
  const signedNamed = await cli.run(['sign', 'lab/named:v1@release', '--key', privateFile, '--json']);
  assert.equal(signedNamed.code, 0, signedNamed.stderr);
  assert.equal(JSON.parse(signedNamed.stdout).version, 'release');
  assert.equal(JSON.parse(signedNamed.stdout).path, named.image);
  assert.equal((await cli.run(['verify', 'lab/named:v1@release', '--key', publicFile])).code, 0);
  assert.deepEqual(
    fs.readdirSync(path.dirname(named.image)).filter((f) => f.startsWith('.')),
    [],
    'no temp file left beside the image',
  );
});

test("sign <path> of a catalogued image's file keeps its record true, as signing it by name does", async () => {
  const privateFile = pemKey();
  assert.equal((await cli.run(['add', copyUnsigned(), '--name', 'lab/bypath:v1'])).code, 0);
  const before = JSON.parse((await cli.run(['inspect', 'lab/bypath:v1', '--json'])).stdout);
  const signed = await cli.run(['sign', before.image, '--key', privateFile, '--json']);
  assert.equal(signed.code, 0, signed.stderr);
  const result = JSON.parse(signed.stdout);
  assert.equal(result.version, sha256(result.path), 'the version follows the signed bytes');
  const after = JSON.parse((await cli.run(['inspect', 'lab/bypath:v1', '--json'])).stdout);
  assert.deepEqual({ version: after.version, image: after.image }, { version: result.version, image: result.path });
  assert.equal(sha256(after.image), after.version);
  assert.equal(JSON.parse((await cli.run(['images', 'lab/bypath', '--json'])).stdout).length, 1);
});

function pemKey(): string {
  const privateFile = file('private.pem');
  fs.writeFileSync(privateFile, crypto.generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }));
  return privateFile;
}

test('no passphrase on stdin (empty, or nothing at all) is refused as not given, not as wrong', async () => {
  const { privateKey } = await openpgp().generateKey({
    type: 'ecc',
    userIDs: [{ name: 'Signer', email: 'signer@example.org' }],
    passphrase: 'correct horse',
    format: 'armored',
  });
  const privateFile = file('private.asc');
  fs.writeFileSync(privateFile, privateKey);
  const image = copyUnsigned();
  for (const input of ['', '\n']) {
    const result = await cli.run(['sign', image, '--key', privateFile, '--json'], { input });
    assert.equal(result.code, 1, result.stderr);
    const { error } = JSON.parse(result.stdout);
    assert.equal(error.code, 'ENOPASSPHRASE');
    assert.equal(error.message, `no passphrase given on stdin for ${privateFile}`);
    assert.match(error.fix, /first line of stdin .*or run on a terminal/);
    assert.equal(sha256(image), sha256(UNSIGNED));
  }
});

test('sign through a symlink signs the file it points to, in place, and keeps the link', async () => {
  const image = copyUnsigned();
  const keys = crypto.generateKeyPairSync('ed25519');
  const keyFile = file('private.pem');
  const publicFile = file('public.pem');
  fs.writeFileSync(keyFile, keys.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  fs.writeFileSync(publicFile, keys.publicKey.export({ format: 'pem', type: 'spki' }));
  const link = file('latest.sif');
  fs.symlinkSync(path.basename(image), link);
  const signed = await cli.run(['sign', link, '--key', keyFile]);
  assert.equal(signed.code, 0, signed.stderr);
  assert.match(signed.stdout, new RegExp(`Signature\\(s\\) added to ${image.replace(/[.]/g, '\\.')}$`, 'm'));
  assert.ok(fs.lstatSync(link).isSymbolicLink(), 'the link is still a link');
  assert.equal(fs.readlinkSync(link), path.basename(image));
  assert.notEqual(sha256(image), sha256(UNSIGNED), 'the target is signed');
  const verified = await cli.run(['verify', image, '--key', publicFile]);
  assert.equal(verified.code, 0, verified.stderr);
  assert.deepEqual(
    fs.readdirSync(cli.home).filter((f) => f.startsWith('.') && f.includes('.sregistry-')),
    [],
    'no temp left',
  );
});

/**
 * Runs the CLI where file permissions apply: as root (which writes through any mode), without the capabilities
 * that let it, so a folder of mode 555 refuses it as it refuses anyone else.
 */
function runUnprivileged(args: string[]) {
  const command = [process.execPath, path.resolve(__dirname, '..', 'bin', 'run.js'), ...args];
  const asRoot = process.getuid?.() === 0;
  const argv = asRoot ? ['setpriv', '--bounding-set=-dac_override,-fowner', ...command] : command;
  const r = spawnSync(argv[0]!, argv.slice(1), { env: cleanEnv(cli.env), cwd: cli.home, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('sign in a folder that cannot be written: one EACCES line naming the folder, the image untouched', async () => {
  const keyFile = pemKey();
  const dir = file('read-only');
  fs.mkdirSync(dir);
  const image = path.join(dir, 'r.sif');
  fs.copyFileSync(UNSIGNED, image);
  fs.chmodSync(image, 0o644); // the image may be written: only its folder may not (the fixture is 0444)
  fs.chmodSync(dir, 0o555);
  try {
    const result = runUnprivileged(['sign', image, '--key', keyFile, '--json']);
    assert.equal(result.code, 1, result.stderr);
    const { error } = JSON.parse(result.stdout);
    assert.equal(error.code, 'EACCES');
    assert.equal(error.message, `permission denied writing ${dir} (the new r.sif is written there before it replaces the old)`);
    assert.match(error.fix, /make the folder writable/);
    assert.equal(sha256(image), sha256(UNSIGNED));
    assert.deepEqual(fs.readdirSync(dir), ['r.sif']);
  } finally {
    fs.chmodSync(dir, 0o755);
  }
});

test('sign of a catalogued image whose folder cannot be written: the folder is named, no doubled temp name', async () => {
  const keyFile = pemKey();
  assert.equal((await cli.run(['add', copyUnsigned(), '--name', 'locked/tool:v1'])).code, 0);
  const stored = JSON.parse((await cli.run(['inspect', 'locked/tool:v1', '--json'])).stdout).image as string;
  const dir = path.dirname(stored);
  fs.chmodSync(stored, 0o644); // the image may be written: only its folder may not (the fixture is 0444)
  fs.chmodSync(dir, 0o555);
  try {
    const result = runUnprivileged(['sign', 'locked/tool:v1', '--key', keyFile]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(
      result.stderr.trim(),
      `ERROR permission denied writing ${dir} (the new ${path.basename(stored)} is written there before it replaces the old); ` +
        'make the folder writable, or work on a copy in a folder you can write to (SREGISTRY_STORAGE for the catalogue)',
    );
    assert.deepEqual(fs.readdirSync(dir), [path.basename(stored)]);
    assert.equal(sha256(stored), sha256(UNSIGNED));
  } finally {
    fs.chmodSync(dir, 0o755);
  }
  const after = JSON.parse((await cli.run(['inspect', 'locked/tool:v1', '--json'])).stdout);
  assert.equal(after.image, stored, 'the record is as it was');
});

test('bad key paths and group numbers: one line that names the flag or command and the value, usage errors exit 2', async () => {
  const image = copyUnsigned();
  const keyFile = pemKey();
  const legacy = path.join(path.dirname(UNSIGNED), 'one-group-signed-legacy.sif');
  const cases: { args: string[]; line: string; code: string; exit: number }[] = [
    {
      args: ['sign', image, '--key', ''],
      line: 'the key file given to --key is empty; give the path of a key file',
      code: 'EUSAGE',
      exit: 2,
    },
    {
      args: ['verify', image, '--key', ''],
      line: 'the key file given to --key is empty; give the path of a key file',
      code: 'EUSAGE',
      exit: 2,
    },
    {
      args: ['key', 'import', ''],
      line: 'the key file given to key import is empty; give the path of a key file',
      code: 'EUSAGE',
      exit: 2,
    },
    {
      args: ['key', 'import', 'nope.asc'],
      line: 'key file nope.asc does not exist; check the path given to key import',
      code: 'ENOKEYFILE',
      exit: 1,
    },
    ...['abc', '0', '-1'].map((value) => ({
      args: ['sign', image, '--key', keyFile, '--group', value],
      line: `--group takes a positive integer, got ${value}`,
      code: 'EUSAGE',
      exit: 2,
    })),
    { args: ['verify', image, '--group', 'abc'], line: '--group takes a positive integer, got abc', code: 'EUSAGE', exit: 2 },
    { args: ['verify', image, '--object', '0'], line: '--object takes a positive integer, got 0', code: 'EUSAGE', exit: 2 },
    {
      args: ['verify', legacy, '--legacy-insecure'],
      line: 'unknown flag --legacy-insecure; did you mean --legacy?',
      code: 'EUSAGE',
      exit: 2,
    },
  ];
  for (const c of cases) {
    const result = await cli.run([...c.args, '--json']);
    assert.equal(result.code, c.exit, `${c.args.join(' ')}: ${result.stdout}${result.stderr}`);
    const { error } = JSON.parse(result.stdout);
    // a usage error's fix is the rest of its line, then where to look
    const fix = error.code === 'EUSAGE' ? String(error.fix).replace(/ ?\(see --help\)$|^see --help$/, '') : error.fix;
    assert.equal(fix ? `${error.message}; ${fix}` : error.message, c.line, c.args.join(' '));
    assert.equal(error.code, c.code, c.args.join(' '));
  }
  assert.equal(sha256(image), sha256(UNSIGNED));
});

test('a group the image does not have: the fix names inspect of that file, which lists its groups', async () => {
  const keys = crypto.generateKeyPairSync('ed25519');
  const privateFile = file('private.pem');
  fs.writeFileSync(privateFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const image = path.join(cli.home, 'with space.sif');
  fs.copyFileSync(UNSIGNED, image);
  const r = await cli.run(['sign', image, '--key', privateFile, '--group', '5']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), `ERROR object group 5 not found in ${image}; list the groups with: sregistry inspect '${image}'`);
  assert.equal(sha256(image), sha256(UNSIGNED));
  // the command the fix names works on a file that is not catalogued
  const inspected = await cli.run(['inspect', image, '--json']);
  assert.equal(inspected.code, 0, inspected.stderr);
  const groups = new Set(JSON.parse(inspected.stdout).sif.descriptors.map((d: { groupId: number | null }) => d.groupId));
  assert.deepEqual(
    [...groups].filter((g) => g !== null),
    [1],
  );
});

async function lockedKey(passphrase: string, name: string): Promise<{ privateFile: string; publicFile: string }> {
  const { privateKey, publicKey } = await openpgp().generateKey({
    type: 'ecc',
    userIDs: [{ name, email: `${name}@example.org` }],
    passphrase,
    format: 'armored',
  });
  const privateFile = file(`${name}-private.asc`);
  const publicFile = file(`${name}-public.asc`);
  fs.writeFileSync(privateFile, privateKey);
  fs.writeFileSync(publicFile, publicKey);
  return { privateFile, publicFile };
}

test('two locked keys take one line of stdin each, in --key order; too few lines is ENOPASSPHRASE, never a silent exit 0', async () => {
  const bob = await lockedKey('s3cr3t-PASS', 'bob');
  const carol = await lockedKey('other-PASS', 'carol');
  const image = copyUnsigned();

  const short = await cli.run(['sign', image, '-k', bob.privateFile, '-k', carol.privateFile, '--json'], { input: 's3cr3t-PASS\n' });
  assert.equal(short.code, 1, short.stdout + short.stderr);
  assert.equal(JSON.parse(short.stdout).error.code, 'ENOPASSPHRASE');
  assert.equal(JSON.parse(short.stdout).error.message, `no passphrase given on stdin for ${carol.privateFile}`);
  // carol's passphrase is the second line: the fix names that one, not "the first"
  assert.match(JSON.parse(short.stdout).error.fix, /^give it as the second line of stdin /);
  assert.equal(sha256(image), sha256(UNSIGNED));

  const signed = await cli.run(['sign', image, '-k', bob.privateFile, '-k', carol.privateFile, '--json'], {
    input: 's3cr3t-PASS\nother-PASS\n',
  });
  assert.equal(signed.code, 0, signed.stdout + signed.stderr);
  assert.equal(JSON.parse(signed.stdout).signatures.length, 2);
  for (const key of [bob, carol])
    assert.equal((await cli.run(['verify', image, '--key', key.publicFile, '--key', bob.publicFile, '--key', carol.publicFile])).code, 0);

  // the same locked key twice signs once and is asked for once
  const again = copyUnsigned();
  const twice = await cli.run(['sign', again, '-k', bob.privateFile, '-k', bob.privateFile, '--json'], { input: 's3cr3t-PASS\n' });
  assert.equal(twice.code, 0, twice.stdout + twice.stderr);
  assert.equal(JSON.parse(twice.stdout).signatures.length, 1);
});

test('sign keeps the owner and group of the image; one it cannot keep them for is refused before anything is replaced', {
  skip: process.getuid?.() !== 0 ? 'needs root (to make files of another user)' : false,
}, async () => {
  // a folder outside the run's private TMPDIR: the unprivileged user must be able to reach it
  const dir = fs.mkdtempSync('/tmp/sregistry-owner-');
  try {
    fs.chmodSync(dir, 0o755);
    fs.chownSync(dir, 65534, 65534);
    const keyFile = path.join(dir, 'key.pem');
    fs.writeFileSync(keyFile, crypto.generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }));
    fs.chownSync(keyFile, 65534, 65534);

    // as root, a file of nobody stays nobody's
    const theirs = path.join(dir, 'theirs.sif');
    fs.copyFileSync(UNSIGNED, theirs);
    fs.chownSync(theirs, 65534, 65534);
    fs.chmodSync(theirs, 0o640);
    const signed = await cli.run(['sign', theirs, '--key', keyFile]);
    assert.equal(signed.code, 0, signed.stderr);
    const st = fs.statSync(theirs);
    assert.deepEqual([st.uid, st.gid, st.mode & 0o777], [65534, 65534, 0o640]);

    // as nobody (in no other group), a file of group 100 cannot keep its group: refused, nothing replaced
    const shared = path.join(dir, 'shared.sif');
    fs.copyFileSync(UNSIGNED, shared);
    fs.chownSync(shared, 65534, 100);
    fs.chmodSync(shared, 0o640);
    const command = [process.execPath, path.resolve(__dirname, '..', 'bin', 'run.js'), 'sign', shared, '--key', keyFile];
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...command], {
      // the test home's folders are root's: the same layout in the folder nobody can write
      env: cleanEnv(Object.fromEntries(Object.entries(cli.env).map(([k, v]) => [k, String(v).replaceAll(cli.home, dir)]))),
      cwd: dir,
      encoding: 'utf8',
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr.trim(),
      new RegExp(
        `^ERROR cannot keep the owner and group of ${shared.replace(/[.]/g, '\\.')} \\(\\w+:\\w+\\): its new copy would be \\w+:\\w+; `,
      ),
    );
    assert.equal(sha256(shared), sha256(UNSIGNED));
    assert.equal(fs.statSync(shared).gid, 100);
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.includes('.sregistry-')),
      [],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('two signs of one file at once: the second waits for the first, and both signatures are kept (a file, a catalogued image)', async () => {
  const hold = path.join(__dirname, 'fixtures', 'hold-after-copy.cjs');
  const keys = crypto.generateKeyPairSync('ed25519');
  const keyFile = file('private.pem');
  const publicFile = file('public.pem');
  fs.writeFileSync(keyFile, keys.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  fs.writeFileSync(publicFile, keys.publicKey.export({ format: 'pem', type: 'spki' }));
  assert.equal((await cli.run(['add', copyUnsigned(), '--name', 'race/tool:v1'])).code, 0);
  for (const target of [copyUnsigned(), 'race/tool:v1']) {
    const copied = file('copied');
    const release = file('release');
    const first = cli.run(['sign', target, '--key', keyFile], {
      env: { NODE_OPTIONS: `--require ${hold}`, HOLD_AFTER_COPY_FILE: copied, HOLD_RELEASE_FILE: release },
    });
    while (!fs.existsSync(copied)) await new Promise((resolve) => setTimeout(resolve, 20));
    const second = cli.run(['sign', target, '--key', keyFile]);
    // the second is waiting for the lock while the first holds its copy
    await new Promise((resolve) => setTimeout(resolve, 1500));
    fs.writeFileSync(release, '');
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const verified = await cli.run(['verify', target, '--key', publicFile, '--json']);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.equal(JSON.parse(verified.stdout).signatures.length, 2, target);
  }
  assert.equal(JSON.parse((await cli.run(['images', 'race/tool', '--json'])).stdout).length, 1);
});

test('keys that cannot sign: an expired one is refused in one line; a certify-only primary signs with its signing subkey', async () => {
  const { privateKey } = await openpgp().generateKey({
    type: 'ecc',
    userIDs: [{ name: 'Old' }],
    date: new Date(Date.now() - 3 * 86400_000),
    keyExpirationTime: 3600,
    format: 'armored',
  });
  const expired = file('expired.asc');
  fs.writeFileSync(expired, privateKey);
  const image = copyUnsigned();
  const r = await cli.run(['sign', image, '--key', expired, '--json']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const { error } = JSON.parse(r.stdout);
  assert.equal(error.code, 'EBADKEY');
  assert.match(
    error.message,
    new RegExp(`^the OpenPGP key in ${expired.replace(/[.]/g, '\\.')} \\([0-9A-F]{40}\\) expired on \\d{4}-\\d\\d-\\d\\d$`),
  );
  assert.match(error.fix, /gpg --quick-set-expire/);
  assert.equal(sha256(image), sha256(UNSIGNED));

  // gpg's usual layout (a primary that only certifies, a subkey that signs): openpgp.js cannot make one
  if (spawnSync('gpg', ['--version']).status !== 0) return;
  const home = file('gnupg');
  fs.mkdirSync(home, { mode: 0o700 });
  const gpg = (...args: string[]) =>
    spawnSync('gpg', ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { encoding: 'utf8' });
  assert.equal(gpg('--quick-gen-key', 'Cert Only <c@example.org>', 'ed25519', 'cert', 'never').status, 0);
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(gpg('--list-keys', '--with-colons').stdout)![1]!;
  assert.equal(gpg('--quick-add-key', fpr, 'ed25519', 'sign', 'never').status, 0);
  const privateFile = file('cert-only.asc');
  const publicFile = file('cert-only-public.asc');
  fs.writeFileSync(privateFile, gpg('--armor', '--export-secret-keys', fpr).stdout);
  fs.writeFileSync(publicFile, gpg('--armor', '--export', fpr).stdout);
  const signed = await cli.run(['sign', image, '--key', privateFile, '--json']);
  assert.equal(signed.code, 0, signed.stdout + signed.stderr);
  assert.deepEqual(JSON.parse(signed.stdout).signatures[0].keys, [fpr]);
  const verified = await cli.run(['verify', image, '--key', publicFile, '--json']);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  assert.equal(JSON.parse(verified.stdout).signatures[0].entity, fpr);
});

test('a file name of 254 bytes signs: the temp name beside it is shortened to fit NAME_MAX', async () => {
  const dir = file('long');
  fs.mkdirSync(dir);
  const image = path.join(dir, `${'x'.repeat(250)}.sif`);
  fs.copyFileSync(UNSIGNED, image);
  const signed = await cli.run(['sign', image, '--key', pemKey()]);
  assert.equal(signed.code, 0, signed.stderr);
  assert.notEqual(sha256(image), sha256(UNSIGNED));
  assert.deepEqual(fs.readdirSync(dir), [path.basename(image)]);
});

test('a key file that is a FIFO is refused in one line by verify, sign and key import, without waiting on it', async () => {
  const fifo = file('fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const image = copyUnsigned();
  for (const [args, flag] of [
    [['verify', image, '-k', fifo], '--key'],
    [['sign', image, '-k', fifo], '--key'],
    [['key', 'import', fifo], 'key import'],
  ] as const) {
    const started = Date.now();
    const r = await cli.run([...args, '--json']);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    const { error } = JSON.parse(r.stdout);
    assert.deepEqual(
      { message: error.message, fix: error.fix, code: error.code },
      { message: `${fifo} is a FIFO, not a regular file`, fix: `give the path of a key file to ${flag}`, code: 'ENOTFILE' },
    );
    assert.ok(Date.now() - started < 10_000);
  }
  assert.equal(sha256(image), sha256(UNSIGNED));
});

test('a read-only image (0444) in a writable folder: one line naming the file and its mode, nothing replaced; root replaces it', async () => {
  const keyFile = pemKey();
  const dir = file('ro');
  fs.mkdirSync(dir);
  const image = path.join(dir, 'ro.sif');
  fs.copyFileSync(UNSIGNED, image);
  fs.chmodSync(image, 0o444);
  const result = runUnprivileged(['sign', image, '--key', keyFile, '--json']);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  const { error } = JSON.parse(result.stdout);
  assert.deepEqual(
    { message: error.message, code: error.code },
    { message: `${image} is read-only for you (mode 0444): it was not changed`, code: 'EACCES' },
  );
  assert.match(error.fix, /chmod u\+w/);
  assert.equal(sha256(image), sha256(UNSIGNED));
  assert.deepEqual(fs.readdirSync(dir), ['ro.sif']);
  if (process.getuid?.() !== 0) return;
  const asRoot = await cli.run(['sign', image, '--key', keyFile]);
  assert.equal(asRoot.code, 0, asRoot.stderr);
  assert.equal(fs.statSync(image).mode & 0o777, 0o444, 'the mode is kept');
});

test('key import merges: an older export of a key the keyring holds revoked does not bring it back, and key list says revoked', async () => {
  const { privateKey, publicKey } = await openpgp().generateKey({
    type: 'ecc',
    userIDs: [{ name: 'Once Trusted', email: 'once@example.org' }],
    format: 'object',
  });
  const privateFile = file('private.asc');
  const oldPublicFile = file('old-public.asc');
  fs.writeFileSync(privateFile, privateKey.armor());
  fs.writeFileSync(oldPublicFile, publicKey.armor());
  const image = copyUnsigned();
  assert.equal((await cli.run(['sign', image, '--key', privateFile])).code, 0);
  const { publicKey: revoked } = await openpgp().revokeKey({ key: privateKey, format: 'armored' });
  const revokedFile = file('revoked.asc');
  fs.writeFileSync(revokedFile, revoked);
  const fingerprint = privateKey.getFingerprint().toUpperCase();

  const importedRevoked = await cli.run(['key', 'import', revokedFile]);
  assert.equal(importedRevoked.code, 0, importedRevoked.stderr);
  assert.match(importedRevoked.stdout, new RegExp(`\\[key\\]\\[new\\] openpgp ${fingerprint} .*\\(revoked\\)$`, 'm'));
  const importedOld = await cli.run(['key', 'import', oldPublicFile]);
  assert.equal(importedOld.code, 0, importedOld.stderr);
  assert.match(importedOld.stdout, /\[key\]\[update\] .*\(revoked\)$/m, 'the stored copy keeps its revocation');

  const verified = await cli.run(['verify', image, '--json']);
  assert.equal(verified.code, 1, verified.stdout);
  assert.match(JSON.parse(verified.stdout).error.message, /revoked/);
  const listed = await cli.run(['key', 'list', '--json']);
  const entry = JSON.parse(listed.stdout).keys.find((k: { id: string }) => k.id === fingerprint);
  assert.equal(entry.state, 'revoked');
  assert.equal((await cli.run(['key', 'remove', fingerprint])).code, 0);
});

test('verify and sign details: a revoked key is said to be revoked, user ids are escaped in --json, a broken local SIF is not told to pull, --group twice signs once', async () => {
  const { privateKey, publicKey } = await openpgp().generateKey({
    type: 'ecc',
    userIDs: [{ name: 'Evil \u001b[31mRed', email: 'evil@example.org' }],
    format: 'object',
  });
  const privateFile = file('private.asc');
  const publicFile = file('public.asc');
  fs.writeFileSync(privateFile, privateKey.armor());
  fs.writeFileSync(publicFile, publicKey.armor());
  const image = copyUnsigned();
  const signed = await cli.run(['sign', image, '--key', privateFile, '--group', '1', '--group', '1', '--json']);
  assert.equal(signed.code, 0, signed.stderr);
  assert.equal(JSON.parse(signed.stdout).signatures.length, 1, 'one signature for a group given twice');

  const verified = await cli.run(['verify', image, '--key', publicFile, '--json']);
  assert.equal(verified.code, 0, verified.stderr);
  const identity = JSON.parse(verified.stdout).signatures[0].signers[0].identity as string;
  assert.ok(!identity.includes('\u001b'), identity);
  assert.match(identity, /Evil \\u001b\[31mRed/);

  const { publicKey: revoked } = await openpgp().revokeKey({ key: privateKey, format: 'armored' });
  const revokedFile = file('revoked.asc');
  fs.writeFileSync(revokedFile, revoked);
  const refused = await cli.run(['verify', image, '--key', revokedFile, '--json']);
  assert.equal(refused.code, 1, refused.stdout);
  const { error } = JSON.parse(refused.stdout);
  assert.equal(error.code, 'EVERIFY_UNKNOWN_KEY');
  assert.match(error.message, /revoked/);
  assert.match(error.fix, /^the signer's key is revoked or expired/);

  const broken = file('broken.sif');
  fs.writeFileSync(broken, fs.readFileSync(UNSIGNED).subarray(0, 200));
  for (const args of [
    ['verify', broken],
    ['sign', broken, '--key', privateFile],
  ]) {
    const r = await cli.run([...args, '--json']);
    assert.equal(r.code, 1, r.stdout);
    const e = JSON.parse(r.stdout).error;
    assert.equal(e.code, 'EBADSIF', args[0]);
    assert.doesNotMatch(e.fix, /pull/, args[0]);
  }
});

test('verify of a broken image added by hand tells to build or copy it again, not to pull it', async () => {
  const junk = file('junk.sif');
  fs.writeFileSync(junk, crypto.randomBytes(100));
  const added = await cli.run(['add', junk, '--name', 'hand/junk:v1', '--copy']);
  assert.equal(added.code, 0, added.stderr);
  const r = await cli.run(['verify', 'hand/junk:v1', '--json']);
  assert.equal(r.code, 1, r.stdout);
  const e = JSON.parse(r.stdout).error;
  assert.equal(e.code, 'EBADSIF');
  assert.equal(e.fix, 'build the image again, or copy it again from where it came from');
  assert.equal((await cli.run(['rmi', 'hand/junk:v1'])).code, 0);
});
