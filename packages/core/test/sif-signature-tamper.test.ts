import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifySif } from '../src/sif/signature/index';
import { fixture, fixtureKeys, flipped, tempDir } from './signature-helpers';

// Byte offsets in the one-group fixtures: descriptor table at 4096 (585 bytes a slot), object 1 (4 bytes) at
// 32768, object 2 (4096 bytes) at 36864.
const descriptor = (slot: number, field: number) => 4096 + slot * 585 + field;

const covered: [string, number][] = [
  ['object 1 data', 32768 + 2],
  ['object 2 data', 36864 + 4000],
  ['object 2 descriptor name', descriptor(1, 73)],
  ['object 1 descriptor extra (fs type)', descriptor(0, 201)],
  ['object 2 descriptor created-at', descriptor(1, 41)],
  ['object 2 descriptor link', descriptor(1, 13)],
  ['header launch script', 5],
  ['header UUID', 48 + 7],
];
const uncovered: [string, number][] = [
  ['header arch', 46],
  ['header modified-at', 72],
  ['header created-at', 64 + 3],
  ['object 2 descriptor modified-at', descriptor(1, 49)],
  ['object 1 descriptor size-with-padding', descriptor(0, 33 + 1)],
  ['padding before object 1', 32500],
  ['padding between objects 1 and 2', 33000],
  ['a free descriptor slot (not its used flag)', descriptor(10, 100)],
];

const tmp = tempDir('sif-tamper-');

for (const [name, keyFiles] of [
  ['one-group-signed-pgp.sif', ['pgp-public.asc']],
  ['one-group-signed-dsse.sif', ['ed25519-public.pem']],
] as const) {
  test(`${name}: a flipped covered byte fails, a flipped uncovered byte passes`, async () => {
    const keys = await fixtureKeys(...keyFiles);
    for (const [what, offset] of covered) {
      const report = await verifySif(await flipped(fixture(name), offset, tmp(name)), { keys });
      assert.equal(report.verified, false, `${what} flipped, yet verified`);
      assert.equal(report.problem, 'tampered', `${what}: ${report.message}`);
    }
    for (const [what, offset] of uncovered) {
      const report = await verifySif(await flipped(fixture(name), offset, tmp(name)), { keys });
      assert.equal(report.verified, true, `${what} flipped: ${report.message}`);
    }
  });
}

test('the messages name what was compromised, as the reference verifier does', async () => {
  const keys = await fixtureKeys('pgp-public.asc');
  const check = async (offset: number) =>
    (await verifySif(await flipped(fixture('one-group-signed-pgp.sif'), offset, tmp('x.sif')), { keys })).message;
  assert.equal(await check(36864 + 1), 'signature 3: data object integrity compromised: 2');
  assert.equal(await check(descriptor(0, 80)), 'signature 3: data object descriptor integrity compromised: 1');
  assert.equal(await check(50), 'signature 3: header integrity compromised');
  // the signed text itself: openpgp.js finds the digest does not match
  const text = await check(40960 + 60);
  assert.match(text!, /^signature 3: the OpenPGP signature does not verify/);
  // the descriptor's fingerprint (not signed, but compared with the signer)
  assert.equal(await check(descriptor(2, 201 + 4 + 3)), 'signature 3: fingerprint in descriptor does not correspond to signing entity');
});

test('a DSSE payload or signature changed fails; one good signature of two is enough (threshold 1)', async () => {
  const both = await fixtureKeys('ed25519-public.pem', 'rsa-public.pem');
  const ed25519 = await fixtureKeys('ed25519-public.pem');
  const rsa = await fixtureKeys('rsa-public.pem');
  const payloadByte = 40960 + 100;
  const ed25519Signature = 40960 + 763 + 90; // inside the first entry's "sig"
  const run = async (offset: number, keys: typeof both) =>
    verifySif(await flipped(fixture('one-group-signed-dsse.sif'), offset, tmp('d.sif')), { keys });
  assert.equal((await run(payloadByte, both)).verified, false);
  const bad = await run(ed25519Signature, ed25519);
  assert.equal(bad.problem, 'tampered');
  assert.equal(bad.message, 'signature 3: the DSSE envelope signature does not verify');
  const rsaStillGood = await run(ed25519Signature, rsa);
  assert.equal(rsaStillGood.verified, true, rsaStillGood.message);
  const eitherGood = await run(ed25519Signature, both);
  assert.equal(eitherGood.verified, true);
  assert.deepEqual(
    eitherGood.signatures[0]!.signers.map((s) => s.algorithm),
    ['rsa-pkcs1v15'],
  );
});

test('legacy signatures protect object data only: a header change passes, a data change fails', async () => {
  const keys = await fixtureKeys('pgp-public.asc');
  const options = { keys, legacy: true };
  const data = await verifySif(await flipped(fixture('one-group-signed-legacy.sif'), 36864 + 1, tmp('l.sif')), options);
  assert.equal(data.problem, 'tampered');
  assert.equal(data.message, 'signature 3: data object integrity compromised: 2');
  const header = await verifySif(await flipped(fixture('one-group-signed-legacy.sif'), 48, tmp('l.sif')), options);
  assert.equal(header.verified, true, header.message);
  const group = await verifySif(await flipped(fixture('one-group-signed-legacy-group.sif'), 32768, tmp('g.sif')), options);
  assert.equal(group.message, 'signature 3: object group 1 integrity compromised');
});
