import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifySif } from '../src/sif/signature/index';
import { ED25519_KEYID, fixture, fixtureKeys, PGP_FINGERPRINT, RSA_KEYID } from './signature-helpers';

// Each fixture gives the result its README states.

test('one-group.sif is unsigned', async () => {
  const report = await verifySif(fixture('one-group.sif'), { keys: await fixtureKeys('pgp-public.asc', 'ed25519-public.pem') });
  assert.equal(report.verified, false);
  assert.equal(report.problem, 'unsigned');
  assert.deepEqual(report.signatures, []);
});

test('one-group-signed-pgp.sif verifies with pgp-public.asc: Unit Test, covers objects 1 and 2', async () => {
  const report = await verifySif(fixture('one-group-signed-pgp.sif'), { keys: await fixtureKeys('pgp-public.asc') });
  assert.equal(report.verified, true, report.message);
  assert.equal(report.signatures.length, 1);
  const [signature] = report.signatures;
  assert.equal(signature!.id, 3);
  assert.equal(signature!.format, 'pgp');
  assert.equal(signature!.status, 'verified');
  assert.equal(signature!.hashType, 'SHA-256');
  assert.equal(signature!.entity, PGP_FINGERPRINT);
  assert.deepEqual(signature!.objects, [1, 2]);
  assert.equal(signature!.time, '2020-06-30T00:01:56.000Z');
  assert.equal(signature!.signers.length, 1);
  assert.equal(signature!.signers[0]!.fingerprint, PGP_FINGERPRINT);
  assert.equal(signature!.signers[0]!.keyId, 'A20C27EE7FF7BA84');
  assert.equal(signature!.signers[0]!.identity, 'Unit Test <unit@test.com>');
});

for (const [keys, ids] of [
  [['ed25519-public.pem'], [ED25519_KEYID]],
  [['rsa-public.pem'], [RSA_KEYID]],
  [
    ['ed25519-public.pem', 'rsa-public.pem'],
    [ED25519_KEYID, RSA_KEYID],
  ],
] as const) {
  test(`one-group-signed-dsse.sif verifies with ${keys.join(' and ')}`, async () => {
    const report = await verifySif(fixture('one-group-signed-dsse.sif'), { keys: await fixtureKeys(...keys) });
    assert.equal(report.verified, true, report.message);
    const [signature] = report.signatures;
    assert.equal(signature!.format, 'dsse');
    assert.equal(signature!.entity, null);
    assert.deepEqual(signature!.objects, [1, 2]);
    assert.deepEqual(
      signature!.signers.map((s) => s.keyId),
      ids,
    );
    assert.equal(signature!.signers.find((s) => s.keyId === RSA_KEYID)?.algorithm ?? 'rsa-pkcs1v15', 'rsa-pkcs1v15');
  });
}

for (const [name, objects, allPasses] of [
  ['one-group-signed-legacy.sif', [[2]], false],
  ['one-group-signed-legacy-group.sif', [[1, 2]], false],
  ['one-group-signed-legacy-all.sif', [[], [2]], true],
] as const) {
  test(`${name} is a valid legacy signature, accepted only with --legacy`, async () => {
    const keys = await fixtureKeys('pgp-public.asc');
    const normal = await verifySif(fixture(name), { keys });
    assert.equal(normal.verified, false);
    assert.equal(normal.problem, 'legacy-only');
    assert.ok(normal.signatures.every((s) => s.format === 'legacy' && s.status === 'skipped'));

    // without a selection: the primary partition (object 2), directly or through its group's signature
    const legacy = await verifySif(fixture(name), { keys, legacy: true });
    assert.equal(legacy.verified, true, legacy.message);
    assert.deepEqual(
      legacy.signatures.map((s) => s.objects),
      objects,
    );
    const checked = legacy.signatures.filter((s) => s.status === 'verified');
    assert.equal(checked.length, 1);
    assert.equal(checked[0]!.signers[0]?.fingerprint, PGP_FINGERPRINT);

    // --all: every object needs its own legacy signature, which only legacy-all has
    const all = await verifySif(fixture(name), { keys, legacy: true, selection: { kind: 'all' } });
    assert.equal(all.verified, allPasses, all.message);
    if (!allPasses) assert.equal(all.message, 'signature not found for object 1');
    else
      assert.deepEqual(
        all.signatures.map((s) => [s.status, s.objects]),
        [
          ['verified', [1]],
          ['verified', [2]],
        ],
      );
  });
}

test('a legacy group signature verifies with --legacy --group 1', async () => {
  const report = await verifySif(fixture('one-group-signed-legacy-group.sif'), {
    keys: await fixtureKeys('pgp-public.asc'),
    legacy: true,
    selection: { kind: 'group', groupId: 1 },
  });
  assert.equal(report.verified, true, report.message);
  assert.deepEqual(report.signatures[0]!.objects, [1, 2]);
});

test('a signature needs a key of its format, and one that signed it', async () => {
  const pgpOnly = await verifySif(fixture('one-group-signed-dsse.sif'), { keys: await fixtureKeys('pgp-public.asc') });
  assert.equal(pgpOnly.problem, 'unknown-key');
  assert.match(pgpOnly.message!, /key material not provided for DSSE/);

  const wrongPem = await verifySif(fixture('one-group-signed-dsse.sif'), { keys: await fixtureKeys('ecdsa-public.pem') });
  assert.equal(wrongPem.problem, 'unknown-key');
  assert.match(wrongPem.message!, /unknown key/);

  const pemOnly = await verifySif(fixture('one-group-signed-pgp.sif'), { keys: await fixtureKeys('ed25519-public.pem') });
  assert.equal(pemOnly.problem, 'unknown-key');
  assert.match(pemOnly.message!, /key material not provided for PGP/);
});

test('group and object selections follow Apptainer: unknown ones are not found, an object of a signed group passes', async () => {
  const keys = await fixtureKeys('pgp-public.asc');
  assert.equal((await verifySif(fixture('one-group-signed-pgp.sif'), { keys, selection: { kind: 'group', groupId: 1 } })).verified, true);
  assert.equal((await verifySif(fixture('one-group-signed-pgp.sif'), { keys, selection: { kind: 'object', id: 2 } })).verified, true);
  const group = await verifySif(fixture('one-group-signed-pgp.sif'), { keys, selection: { kind: 'group', groupId: 2 } });
  assert.equal(group.problem, 'not-found');
  const object = await verifySif(fixture('one-group-signed-pgp.sif'), { keys, selection: { kind: 'object', id: 9 } });
  assert.equal(object.problem, 'not-found');
  const legacy = await verifySif(fixture('one-group-signed-pgp.sif'), { keys, legacy: true });
  assert.equal(legacy.verified, false);
  assert.match(legacy.message!, /no legacy signatures/);
});
