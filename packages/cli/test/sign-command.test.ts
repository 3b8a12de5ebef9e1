import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
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
