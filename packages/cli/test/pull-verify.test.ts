import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type HubServer, startHubServer } from '@sregistry/testkit';
import { cliInTempHome } from './helpers';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'sif-signatures');
const fx = (name: string) => path.join(FIXTURES, name);
let hub: HubServer;
let cli: ReturnType<typeof cliInTempHome>;
let seeds: string;

before(async () => {
  seeds = fs.mkdtempSync(path.join(os.tmpdir(), 'pull-verify-'));
  const tampered = path.join(seeds, 'tampered.sif');
  const bytes = fs.readFileSync(fx('one-group-signed-pgp.sif'));
  bytes[36864 + 5] ^= 0x40;
  fs.writeFileSync(tampered, bytes);
  hub = await startHubServer({
    images: [
      { user: 'lab', repo: 'signed', tag: 'latest', file: fx('one-group-signed-pgp.sif') },
      { user: 'lab', repo: 'dsse', tag: 'latest', file: fx('one-group-signed-dsse.sif') },
      { user: 'lab', repo: 'unsigned', tag: 'latest', file: fx('one-group.sif') },
      { user: 'lab', repo: 'tampered', tag: 'latest', file: tampered },
    ],
  });
  cli = cliInTempHome({ SREGISTRY_HUB_BASE: hub.origin });
});
after(async () => {
  await hub?.close();
  cli?.cleanup();
  fs.rmSync(seeds, { recursive: true, force: true });
});

/** Every file under the storage folder (temp folders included): a refused image must leave nothing. */
function storedFiles(): string[] {
  const root = path.join(cli.home, '.singularity', 'shub');
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter(
    (p) => fs.statSync(path.join(root, p)).isFile() && !p.includes('journal'),
  );
}
const records = async () => JSON.parse((await cli.run(['images', '--json'])).stdout) as { uri: string }[];

test('pull --verify keeps an image that verifies with the keyring, and inspect shows its signature', async () => {
  assert.equal((await cli.run(['key', 'import', fx('pgp-public.asc')])).code, 0);
  const pulled = await cli.run(['pull', '--verify', 'shub://lab/signed']);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, /\[container\]\[new\] lab\/signed:latest@/);
  assert.match(pulled.stdout, /Verified signature\(s\) of lab\/signed:latest@\w+ \(Unit Test <unit@test\.com>\)/);

  const inspect = JSON.parse((await cli.run(['inspect', 'lab/signed', '--json'])).stdout);
  const signatures = inspect.sif.signatures;
  assert.equal(signatures.verifiedWithKeyring, true);
  assert.equal(signatures.details.length, 1);
  assert.equal(signatures.details[0].format, 'pgp');
  assert.equal(signatures.details[0].status, 'verified');
  assert.equal(signatures.details[0].signers[0].identity, 'Unit Test <unit@test.com>');
  assert.deepEqual(signatures.details[0].objects, [1, 2]);
});

test('pull --verify refuses unsigned, tampered and unknown-key images: one line, no record, nothing in storage', async () => {
  const before = storedFiles();
  for (const [repo, line] of [
    [
      'unsigned',
      /lab\/unsigned:latest@\w+ has no signatures; the image was not kept; pull it without --verify .* only if you trust its source/,
    ],
    [
      'tampered',
      /lab\/tampered:latest@\w+ does not match its signature: signature 3: data object integrity compromised: 2; the image was not kept; do not use this image/,
    ],
    [
      'dsse',
      /lab\/dsse:latest@\w+ cannot be verified with the keys given: .*key material not provided for DSSE.*; pass the signer's public key/,
    ],
  ] as const) {
    const result = await cli.run(['pull', '--verify', `shub://lab/${repo}`]);
    assert.equal(result.code, 1, repo);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, line);
    assert.ok(!(await records()).some((r) => r.uri.includes(repo)), `${repo} was catalogued`);
    assert.deepEqual(storedFiles(), before, `${repo} left a file in storage`);
  }
  // with the key given on the command line, the DSSE image is kept
  const dsse = await cli.run(['pull', 'shub://lab/dsse', '--key', fx('ed25519-public.pem')]);
  assert.equal(dsse.code, 0, dsse.stderr);
});

test('SREGISTRY_PULL_VERIFY=1 makes verification the default; without it a pull does not verify', async () => {
  const refused = await cli.run(['pull', 'shub://lab/tampered'], { env: { SREGISTRY_PULL_VERIFY: '1' } });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /does not match its signature/);
  const kept = await cli.run(['pull', 'shub://lab/unsigned']);
  assert.equal(kept.code, 0, kept.stderr);
  const inspect = JSON.parse((await cli.run(['inspect', 'lab/unsigned', '--json'])).stdout);
  assert.equal(inspect.sif.signatures.count, 0);
  assert.equal(inspect.sif.signatures.details, undefined);
});
