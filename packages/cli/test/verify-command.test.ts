import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { cliInTempHome } from './helpers';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'sif-signatures');
const fx = (name: string) => path.join(FIXTURES, name);
const cli = cliInTempHome();
after(() => cli.cleanup());

const PGP = fx('pgp-public.asc');
const ED = fx('ed25519-public.pem');

test('verify: each fixture gives the result its README states, with one line and exit 1 on failure', async () => {
  const ok = await cli.run(['verify', fx('one-group-signed-pgp.sif'), '--key', PGP]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^Signature 3: OpenPGP clear-signed, linked to group 1, verified$/m);
  assert.match(ok.stdout, /Signer: {3}Unit Test <unit@test\.com>, fingerprint 12045C8C0B1004D058DE4BEDA20C27EE7FF7BA84 \(rsa2048, /);
  assert.match(ok.stdout, /Signed: {3}2020-06-30 00:01:56 UTC/);
  assert.match(ok.stdout, /Objects: {2}1, 2/);

  for (const key of [ED, fx('rsa-public.pem')]) {
    const dsse = await cli.run(['verify', fx('one-group-signed-dsse.sif'), '--key', key]);
    assert.equal(dsse.code, 0, dsse.stderr);
    assert.match(dsse.stdout, /DSSE envelope, linked to group 1, verified/);
  }

  const unsigned = await cli.run(['verify', fx('one-group.sif'), '--key', PGP]);
  assert.equal(unsigned.code, 1);
  assert.equal(unsigned.stdout, '');
  assert.equal(unsigned.stderr.trim().split('\n').length, 1);
  assert.match(unsigned.stderr, /one-group\.sif has no signatures; sign it with: sregistry sign/);

  for (const name of ['one-group-signed-legacy.sif', 'one-group-signed-legacy-group.sif', 'one-group-signed-legacy-all.sif']) {
    const refused = await cli.run(['verify', fx(name), '--key', PGP]);
    assert.equal(refused.code, 1, name);
    assert.match(refused.stderr, /has only legacy signatures, .*; add --legacy to accept them/);
    const legacy = await cli.run(['verify', fx(name), '--key', PGP, '--legacy']);
    assert.equal(legacy.code, 0, `${name}: ${legacy.stderr}`);
    assert.match(legacy.stdout, /legacy \(OpenPGP SIFHASH\).*verified/);
  }
  // --legacy on an image signed the current way: the flag is the mistake, not a missing signature
  const notLegacy = await cli.run(['verify', fx('one-group-signed-dsse.sif'), '--key', ED, '--legacy']);
  assert.equal(notLegacy.code, 1);
  assert.match(notLegacy.stderr, /no legacy signatures; its signatures are not legacy ones: verify it without --legacy$/m);
});

test('verify: unknown key, tampered image and unsupported format are one line each', async () => {
  const unknown = await cli.run(['verify', fx('one-group-signed-pgp.sif'), '--key', ED]);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr.trim().split('\n').length, 1);
  assert.match(
    unknown.stderr,
    /cannot be verified with the keys given: signature 3: key material not provided for PGP .*; pass the signer's public key with --key FILE/,
  );

  const tampered = path.join(cli.home, 'tampered.sif');
  const bytes = fs.readFileSync(fx('one-group-signed-pgp.sif'));
  bytes[36864 + 10] ^= 1;
  fs.writeFileSync(tampered, bytes);
  const bad = await cli.run(['verify', tampered, '--key', PGP]);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.match(bad.stderr, /does not match its signature: signature 3: data object integrity compromised: 2; do not use this image/);

  const odd = path.join(cli.home, 'odd.sif');
  const changed = fs.readFileSync(fx('one-group-signed-pgp.sif'));
  changed.write('XXXXX', 40960); // the clear-sign armor line is gone: no format is recognised
  fs.writeFileSync(odd, changed);
  const unsupported = await cli.run(['verify', odd, '--key', PGP]);
  assert.equal(unsupported.code, 1);
  assert.match(unsupported.stderr, /has a signature that cannot be checked: signature 3: signature format not recognized/);

  const missing = await cli.run(['verify', path.join(cli.home, 'nope.sif')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.sif does not exist/);
});

test('verify --json: the report, with the error beside it on failure', async () => {
  const ok = await cli.run(['verify', fx('one-group-signed-dsse.sif'), '--key', ED, '--key', fx('rsa-public.pem'), '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  const report = JSON.parse(ok.stdout);
  assert.equal(report.verified, true);
  assert.deepEqual(report.signatures[0].objects, [1, 2]);
  assert.deepEqual(
    report.signatures[0].signers.map((s: { algorithm: string }) => s.algorithm),
    ['ed25519', 'rsa-pkcs1v15'],
  );

  const failed = await cli.run(['verify', fx('one-group-signed-pgp.sif'), '--group', '2', '--key', PGP, '--json']);
  assert.equal(failed.code, 1);
  const body = JSON.parse(failed.stdout);
  assert.equal(body.error.code, 'EVERIFY_NOT_FOUND');
  assert.equal(body.verify.verified, false);
  assert.equal(body.verify.problem, 'not-found');
});

test('verify --group/--object select like Apptainer; the flags exclude each other', async () => {
  assert.equal((await cli.run(['verify', fx('one-group-signed-pgp.sif'), '--key', PGP, '--group', '1'])).code, 0);
  assert.equal((await cli.run(['verify', fx('one-group-signed-pgp.sif'), '--key', PGP, '--object', '1'])).code, 0);
  const usage = await cli.run(['verify', fx('one-group-signed-pgp.sif'), '--group', '1', '--object', '1']);
  assert.equal(usage.code, 2);
});

test('key import/list/remove: a keyring in the XDG data folder that verify uses without --key', async () => {
  const imported = await cli.run(['key', 'import', PGP, ED]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /\[key\]\[new\] openpgp 12045C8C0B1004D058DE4BEDA20C27EE7FF7BA84 Unit Test <unit@test\.com>/);
  assert.match(imported.stdout, /\[key\]\[new\] pem SHA256:x6l8ZblpSSXGaPMCzySedWg88BwIFcz8jlPb6el0mFs/);
  const dir = path.join(cli.env.XDG_DATA_HOME!, 'sregistry', 'keys');
  assert.equal(fs.readdirSync(dir).length, 2);

  const again = await cli.run(['key', 'import', PGP]);
  assert.match(again.stdout, /\[key\]\[update\] openpgp/);

  const list = await cli.run(['key', 'list', '--json']);
  const keys = JSON.parse(list.stdout).keys;
  assert.deepEqual(keys.map((k: { format: string }) => k.format).sort(), ['openpgp', 'pem']);

  assert.equal((await cli.run(['verify', fx('one-group-signed-pgp.sif')])).code, 0);
  assert.equal((await cli.run(['verify', fx('one-group-signed-dsse.sif')])).code, 0);

  const removed = await cli.run(['key', 'remove', 'a20c27ee7ff7ba84']);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, /\[key\]\[removed\] openpgp 12045C8C/);
  const after = await cli.run(['verify', fx('one-group-signed-pgp.sif')]);
  assert.equal(after.code, 1);
  assert.match(after.stderr, /key material not provided/);

  const none = await cli.run(['key', 'remove', 'DEADBEEF']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no key DEADBEEF in the keyring; list the keys with: sregistry key list/);

  const notKey = await cli.run(['key', 'import', fx('one-group.sif')]);
  assert.equal(notKey.code, 1);
  assert.match(notKey.stderr, /is not a key file/);
  assert.equal((await cli.run(['key', 'remove', 'SHA256:x6l8ZblpSSXGaPMCzySedWg88BwIFcz8jlPb6el0mFs'])).code, 0);
  assert.deepEqual(fs.readdirSync(dir), []);
});
