import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { test } from 'node:test';
import { withImageFile } from '../src/sif/file-reader';
import { parseEnvelope, verifyEnvelope } from '../src/sif/signature/dsse';
import {
  appendSignatures,
  DSSE_PAYLOAD_TYPE,
  descriptorDigestInput,
  detectSignatureFormat,
  dsseKeyId,
  headerDigestInput,
  metadataJson,
  ObjectHasher,
  pae,
  readLayout,
  type SifLayout,
} from '../src/sif/signature/index';
import { ED25519_KEYID, fixture, PGP_FINGERPRINT, RSA_KEYID, tempDir } from './signature-helpers';

// The format document's worked example (sif-signatures.md §6), byte for byte.
const tmp = tempDir('sif-format-');
const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

async function open<T>(name: string, work: (layout: SifLayout, hasher: ObjectHasher) => Promise<T>): Promise<T> {
  return withImageFile(fixture(name), undefined, async (file) => work(await readLayout(file), new ObjectHasher(file)));
}

/** The data of the signature object (id 3) of a fixture. */
async function signatureData(name: string): Promise<Buffer> {
  const bytes = await fs.readFile(fixture(name));
  return open(name, async (layout) => {
    const d = layout.descriptors.find((x) => x.id === 3)!;
    return bytes.subarray(d.offset, d.offset + d.size);
  });
}

test('header stream and digests of one-group-signed-pgp.sif match §6.1', async () => {
  await open('one-group-signed-pgp.sif', async (layout, hasher) => {
    const header = headerDigestInput(layout.headerRaw);
    assert.equal(header.toString('hex'), `${'00'.repeat(32)}5349465f4d4147494300303100${'00'.repeat(16)}`);
    assert.equal(sha256(header), '635fa0a14a8ef0c0351ed3e985799ed1d4f75ce973dea3cc76c99710795cc3f1');
    const [one, two] = layout.descriptors;
    const raw = (slot: number) => layout.tableRaw.subarray(slot * 585, (slot + 1) * 585);
    const stream2 = descriptorDigestInput(raw(1), 1);
    assert.equal(stream2.length, 557);
    assert.ok(stream2.toString('hex').startsWith('04400000010100000000000000001000000000000000096e88f1ffffff00'));
    assert.equal(sha256(descriptorDigestInput(raw(0), 0)), '3634ad01db0dd5482ecf685267b53d6201690438ca27c3d7ea91c971a1f41f92');
    assert.equal(sha256(stream2), '04b5f87c9692a54f80d10fb6af00c779763aeca29d610348854bd97cd8bf66fd');
    // using the absolute id instead of the relative one gives the digest the doc warns about
    assert.ok(sha256(descriptorDigestInput(raw(1), 2)).startsWith('e9dc62d8'));
    assert.equal((await hasher.objectDigest(one!)).hex, '004dfc8da678c309de28b5386a1e9efd57f536b150c40d29b31506aa0fb17ec2');
    assert.equal((await hasher.objectDigest(two!)).hex, '9f9c4e5e131934969b4ac8f495691c70b8c6c8e3f489c2c9ab5f1af82bce0604');
  });
});

test('the metadata JSON computed from the unsigned image is the signed text, byte for byte (517 bytes)', async () => {
  const json = await open('one-group.sif', (layout, hasher) => metadataJson(layout, hasher, layout.descriptors));
  assert.equal(Buffer.byteLength(json), 517);
  const clearsigned = (await signatureData('one-group-signed-pgp.sif')).toString('utf8');
  assert.ok(clearsigned.startsWith(`-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n${json}\n-----BEGIN PGP SIGNATURE-----\n\n`));
  assert.ok(clearsigned.endsWith('-----END PGP SIGNATURE-----'));

  const envelope = JSON.parse((await signatureData('one-group-signed-dsse.sif')).toString('utf8'));
  assert.deepEqual(Object.keys(envelope), ['payloadType', 'payload', 'signatures']);
  assert.equal(envelope.payloadType, DSSE_PAYLOAD_TYPE);
  assert.equal(Buffer.from(envelope.payload, 'base64').toString('utf8'), json);
  assert.equal(envelope.payload, Buffer.from(json).toString('base64'));
});

test('DSSE keyids and signatures: OpenSSH fingerprints of the PEM keys, Ed25519 and RSA PKCS#1 v1.5 over the PAE', async () => {
  const envelope = JSON.parse((await signatureData('one-group-signed-dsse.sif')).toString('utf8'));
  const ed25519 = crypto.createPublicKey(await fs.readFile(fixture('ed25519-public.pem')));
  const rsa = crypto.createPublicKey(await fs.readFile(fixture('rsa-public.pem')));
  assert.equal(dsseKeyId(ed25519), ED25519_KEYID);
  assert.equal(dsseKeyId(rsa), RSA_KEYID);
  assert.match(dsseKeyId(crypto.createPublicKey(await fs.readFile(fixture('ecdsa-public.pem')))), /^SHA256:[A-Za-z0-9+/]{43}$/);
  assert.deepEqual(
    envelope.signatures.map((s: { keyid: string }) => s.keyid),
    [ED25519_KEYID, RSA_KEYID],
  );
  const payload = Buffer.from(envelope.payload, 'base64');
  const signed = pae(DSSE_PAYLOAD_TYPE, payload);
  assert.ok(signed.toString('latin1').startsWith(`DSSEv1 ${DSSE_PAYLOAD_TYPE.length} ${DSSE_PAYLOAD_TYPE} ${payload.length} {`));
  assert.equal(crypto.verify(null, signed, ed25519, Buffer.from(envelope.signatures[0].sig, 'base64')), true);
  assert.equal(crypto.verify('sha256', signed, rsa, Buffer.from(envelope.signatures[1].sig, 'base64')), true);
});

test('DSSE envelopes: padded standard or URL-safe base64 parse; a payload without its padding is malformed and a sig without it does not verify, as in Go', async () => {
  const envelope = JSON.parse((await signatureData('one-group-signed-dsse.sif')).toString('utf8'));
  assert.match(envelope.payload, /=$/, 'the fixture payload is padded');
  const asBytes = (e: unknown) => Buffer.from(JSON.stringify(e));
  assert.ok(parseEnvelope(asBytes(envelope)));
  const urlSafe = envelope.payload.replace(/\+/g, '-').replace(/\//g, '_');
  assert.ok(parseEnvelope(asBytes({ ...envelope, payload: urlSafe })), 'URL-safe with padding');
  assert.equal(parseEnvelope(asBytes({ ...envelope, payload: envelope.payload.replace(/=+$/, '') })), null);
  const [first, ...rest] = envelope.signatures;
  const unpaddedSig = { ...first, sig: first.sig.replace(/=+$/, '') };
  assert.notEqual(unpaddedSig.sig, first.sig, 'the Ed25519 sig is padded (64 bytes)');
  const ed25519 = crypto.createPublicKey(await fs.readFile(fixture('ed25519-public.pem')));
  const keys = [{ key: ed25519, keyId: ED25519_KEYID, source: 'ed25519-public.pem' }];
  assert.equal(verifyEnvelope(parseEnvelope(asBytes(envelope))!, keys).accepted.length, 1);
  const withUnpadded = parseEnvelope(asBytes({ ...envelope, signatures: [unpaddedSig, ...rest] }))!;
  assert.equal(verifyEnvelope(withUnpadded, keys).accepted.length, 0);
});

test('format detection: DSSE, PGP, legacy, unknown', async () => {
  assert.equal(detectSignatureFormat(await signatureData('one-group-signed-dsse.sif')), 'dsse');
  assert.equal(detectSignatureFormat(await signatureData('one-group-signed-pgp.sif')), 'pgp');
  assert.equal(detectSignatureFormat(await signatureData('one-group-signed-legacy.sif')), 'legacy');
  assert.equal(detectSignatureFormat(Buffer.from('{"payloadType":"text/plain","payload":""}')), 'unknown');
  assert.equal(detectSignatureFormat(Buffer.from('hello')), 'unknown');
});

for (const [name, entity] of [
  ['one-group-signed-dsse.sif', Buffer.alloc(0)],
  ['one-group-signed-pgp.sif', Buffer.from(PGP_FINGERPRINT, 'hex')],
] as const) {
  test(`appending ${name}'s signature object to one-group.sif rebuilds ${name} byte for byte`, async () => {
    const dest = tmp(name);
    const layout = await withImageFile(fixture('one-group.sif'), undefined, readLayout);
    await appendSignatures(fixture('one-group.sif'), dest, layout, [{ data: await signatureData(name), groupId: 1, hashType: 1, entity }]);
    assert.ok((await fs.readFile(dest)).equals(await fs.readFile(fixture(name))), 'bytes differ');
  });
}
