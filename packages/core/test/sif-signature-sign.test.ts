import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { withImageFile } from '../src/sif/file-reader';
import {
  addToMaterial,
  emptyKeyMaterial,
  openpgp,
  type PgpPrivateKey,
  parseKeys,
  readLayout,
  signSif,
  verifySif,
} from '../src/sif/signature/index';
import { fixture, tempDir } from './signature-helpers';

const tmp = tempDir('sif-sign-');

async function unsignedCopy(): Promise<string> {
  const file = tmp('image.sif');
  await fs.copyFile(fixture('one-group.sif'), file);
  return file;
}

async function pgpKey(): Promise<PgpPrivateKey> {
  const { privateKey } = await openpgp().generateKey({
    type: 'rsa',
    rsaBits: 2048,
    userIDs: [{ name: 'Round Trip', email: 'rt@example.org' }],
    format: 'object',
  });
  return privateKey;
}

/** The data of the signature object(s) an image holds. */
async function signatureTexts(file: string): Promise<string[]> {
  const bytes = await fs.readFile(file);
  const layout = await withImageFile(file, undefined, readLayout);
  return layout.descriptors.filter((d) => d.signature).map((d) => bytes.subarray(d.offset, d.offset + d.size).toString('utf8'));
}

test('OpenPGP: sign with a key made here, verify it back, and gpg accepts the clear-signed text', async () => {
  const file = await unsignedCopy();
  const key = await pgpKey();
  const signed = await signSif(file, { keys: [{ format: 'openpgp', key }] });
  assert.deepEqual(signed, [{ groupId: 1, format: 'pgp', keys: [key.getFingerprint().toUpperCase()], objects: [1, 2] }]);

  const keys = emptyKeyMaterial();
  addToMaterial(keys, await parseKeys(Buffer.from(key.toPublic().armor()), 'made'), 'made');
  const report = await verifySif(file, { keys });
  assert.equal(report.verified, true, report.message);
  assert.equal(report.signatures[0]!.signers[0]!.identity, 'Round Trip <rt@example.org>');
  assert.equal(report.signatures[0]!.entity, key.getFingerprint().toUpperCase());

  const [text] = await signatureTexts(file);
  assert.match(text!, /^-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n\{"version":1,/);
  assert.ok(text!.endsWith('-----END PGP SIGNATURE-----'), 'no trailing newline, as the reference signer');
  assert.doesNotMatch(text!, /\n=[A-Za-z0-9+/]{4}\n/, 'no armor checksum line');

  // an independent verifier: gpg, in a throw-away home
  const home = tmp('gnupg');
  await fs.mkdir(home, { mode: 0o700 });
  await fs.writeFile(path.join(home, 'key.asc'), key.toPublic().armor());
  await fs.writeFile(path.join(home, 'signed.asc'), text!);
  const gpg = (...args: string[]) =>
    execFileSync('gpg', ['--homedir', home, '--batch', '--status-fd', '1', ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  gpg('--import', path.join(home, 'key.asc'));
  const status = gpg('--verify', path.join(home, 'signed.asc'));
  assert.match(status, new RegExp(`VALIDSIG ${key.getFingerprint().toUpperCase()} `));
  assert.match(status, /GOODSIG/);
  // the VALIDSIG line: ... pubkey algo 1 (RSA), hash algo 8 (SHA-256), class 01 (canonical text)
  assert.match(status, /VALIDSIG \S+ \S+ \d+ 0 4 0 1 8 01 /);
});

for (const [label, generate, rsaPss, scheme] of [
  ['Ed25519', () => crypto.generateKeyPairSync('ed25519'), false, 'ed25519'],
  ['RSA PKCS#1 v1.5', () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), false, 'rsa-pkcs1v15'],
  ['RSA PSS', () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), true, 'rsa-pss'],
  ['ECDSA P-256', () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }), false, 'ecdsa-p256'],
] as const) {
  test(`DSSE ${label}: sign with a PEM private key, verify with the PEM public key`, async () => {
    const file = await unsignedCopy();
    const pair = generate();
    const privatePem = pair.privateKey.export({ format: 'pem', type: 'pkcs8' });
    const [signing] = await parseKeys(Buffer.from(privatePem), 'private.pem');
    assert.equal(signing!.format, 'pem');
    await signSif(file, { keys: [{ format: 'pem', key: signing!.key as crypto.KeyObject }], rsaPss });

    const keys = emptyKeyMaterial();
    addToMaterial(keys, await parseKeys(Buffer.from(pair.publicKey.export({ format: 'pem', type: 'spki' })), 'public.pem'), 'public.pem');
    const report = await verifySif(file, { keys });
    assert.equal(report.verified, true, report.message);
    assert.equal(report.signatures[0]!.format, 'dsse');
    assert.equal(report.signatures[0]!.signers[0]!.algorithm, scheme);
    const [text] = await signatureTexts(file);
    const envelope = JSON.parse(text!);
    assert.deepEqual(Object.keys(envelope), ['payloadType', 'payload', 'signatures']);
    assert.equal(envelope.signatures[0].keyid, keys.pem[0]!.keyId);

    // another key of the same kind is not the signer
    const other = emptyKeyMaterial();
    addToMaterial(
      other,
      await parseKeys(Buffer.from(generate().publicKey.export({ format: 'pem', type: 'spki' })), 'other.pem'),
      'other.pem',
    );
    assert.equal((await verifySif(file, { keys: other })).problem, 'unknown-key');
  });
}

test('signing twice adds a second signature; both must verify', async () => {
  const file = await unsignedCopy();
  const ed = crypto.generateKeyPairSync('ed25519');
  const pgp = await pgpKey();
  await signSif(file, { keys: [{ format: 'pem', key: ed.privateKey }] });
  await signSif(file, { keys: [{ format: 'openpgp', key: pgp }] });
  const keys = emptyKeyMaterial();
  addToMaterial(keys, await parseKeys(Buffer.from(ed.publicKey.export({ format: 'pem', type: 'spki' })), 'ed.pem'), 'ed.pem');
  const onlyPem = await verifySif(file, { keys });
  assert.equal(onlyPem.verified, false, 'the PGP signature has no key');
  assert.equal(onlyPem.problem, 'unknown-key');
  addToMaterial(keys, await parseKeys(Buffer.from(pgp.toPublic().armor()), 'pgp'), 'pgp');
  const report = await verifySif(file, { keys });
  assert.equal(report.verified, true, report.message);
  assert.deepEqual(
    report.signatures.map((s) => [s.id, s.format, s.status]),
    [
      [3, 'dsse', 'verified'],
      [4, 'pgp', 'verified'],
    ],
  );
});

test('a reader that has the image open keeps reading the unsigned bytes; the new file is complete', async () => {
  const file = await unsignedCopy();
  const before = await fs.readFile(file);
  const reader = await fs.open(file, 'r');
  try {
    await signSif(file, { keys: [{ format: 'pem', key: crypto.generateKeyPairSync('ed25519').privateKey }] });
    const seen = Buffer.alloc(before.length + 100);
    const { bytesRead } = await reader.read(seen, 0, seen.length, 0);
    assert.equal(bytesRead, before.length);
    assert.ok(seen.subarray(0, bytesRead).equals(before), 'the open file changed under its reader');
  } finally {
    await reader.close();
  }
  assert.ok((await fs.stat(file)).size > before.length);
  const left = (await fs.readdir(path.dirname(file))).filter((n) => n.includes('.sregistry-'));
  assert.deepEqual(left, [], 'no temp file left');
});

test('a failed signing leaves the image as it was and no temp file', async () => {
  const file = await unsignedCopy();
  const before = await fs.readFile(file);
  await assert.rejects(
    signSif(file, { keys: [{ format: 'pem', key: crypto.generateKeyPairSync('ed25519').privateKey }], groups: [7] }),
    /object group 7 not found/,
  );
  await assert.rejects(signSif(file, { keys: [] }), /no signing key/);
  assert.ok((await fs.readFile(file)).equals(before));
  assert.deepEqual(
    (await fs.readdir(path.dirname(file))).filter((n) => n.startsWith('.')),
    [],
  );
});

test("OpenPGP: the descriptor's HashType is the hash the armor names, for Ed25519 (SHA-512) and RSA (SHA-256) keys", async () => {
  const names: Record<number, string> = { 1: 'SHA256', 2: 'SHA384', 3: 'SHA512' };
  for (const [type, expected] of [
    ['ecc', 'SHA512'],
    ['rsa', 'SHA256'],
  ] as const) {
    const file = await unsignedCopy();
    const { privateKey: key } = await openpgp().generateKey({ type, rsaBits: 2048, userIDs: [{ name: type }], format: 'object' });
    await signSif(file, { keys: [{ format: 'openpgp', key }] });
    const [text] = await signatureTexts(file);
    const armorHash = /^Hash: (\S+)$/m.exec(text!)?.[1];
    const bytes = await fs.readFile(file);
    const layout = await withImageFile(file, undefined, readLayout);
    const descriptor = layout.descriptors.find((d) => d.signature)!;
    const hashType = bytes.readInt32LE(layout.header.descriptorsOffset + (descriptor.id - 1) * 585 + 201);
    assert.equal(armorHash, expected, type);
    assert.equal(names[hashType], armorHash, `${type}: descriptor HashType ${hashType}, armor Hash: ${armorHash}`);
    const keys = emptyKeyMaterial();
    addToMaterial(keys, await parseKeys(Buffer.from(key.toPublic().armor()), type), type);
    const report = await verifySif(file, { keys });
    assert.equal(report.verified, true, report.message);
  }
});
