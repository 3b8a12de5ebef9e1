// The oras backend through the built CLI against a real Distribution registry with htpasswd Basic auth over
// plain http: push, pull into the catalogue, Apptainer-layout artifacts written with curl, digests, corruption on
// the registry's disk, blob de-duplication, search with pagination, delete, login/logout and the auth failures.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type DistributionHandle, distributionAvailable, fakeSquashfs, sampleSif, startDistribution, writeSif } from '@sregistry/testkit';
import {
  assertOneLineError,
  fileSha256,
  filesUnder,
  type OrasHome,
  orasHome,
  PASSWORD,
  pushByHand,
  pushIndexByHand,
  USER,
  USERS,
  writeLogin,
} from './helpers';

const available = distributionAvailable();

describe('oras over http with Basic auth', { skip: available.ok ? false : available.reason }, () => {
  let registry: DistributionHandle;
  let e: OrasHome;
  let image: string;
  before(async () => {
    registry = await startDistribution({ auth: 'htpasswd', users: USERS });
    e = await orasHome(registry);
    image = path.join(e.home, 'hello.sif');
    await sampleSif(image);
  });
  after(async () => {
    e?.cleanup();
    await registry?.close();
  });

  const ref = (repo: string) => `oras://${registry.host}/${repo}`;

  test('push prints the manifest digest; pull catalogues it under the repository path with the layer digest as version', async () => {
    const pushed = await e.run(['push', image, '--name', ref('alice/hello:v1')]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const digest = /Pushed (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
    assert.ok(digest, pushed.stdout);
    assert.equal(fileSha256(registry.blobPath(`sha256:${fileSha256(image)}`)), fileSha256(image), 'the registry holds the SIF as one blob');

    const pulled = await e.run(['pull', ref('alice/hello:v1')]);
    assert.equal(pulled.code, 0, pulled.stderr);
    const version = fileSha256(image);
    assert.match(pulled.stdout, new RegExp(`\\[container\\]\\[new\\] alice/hello:v1@${version}\\n`));
    const stored = path.join(e.storage, 'alice', 'hello', `v1@${version}.sif`);
    assert.equal(fileSha256(stored), version);

    const inspect = await e.run(['inspect', 'alice/hello:v1', '--json']);
    assert.equal(inspect.code, 0, inspect.stderr);
    const record = JSON.parse(inspect.stdout);
    const row = Array.isArray(record) ? record[0] : record;
    assert.equal(row.client, 'oras');
    assert.equal(row.url, `oras://${registry.host}/alice/hello@${digest}`);
    const manifest = row.metrics.manifest;
    assert.equal(manifest.registry, registry.host);
    assert.equal(manifest.digest, digest);
    const layer = manifest.manifest.layers[0];
    assert.equal(layer.mediaType, 'application/vnd.sylabs.sif.layer.v1.sif');
    assert.equal(layer.annotations['org.opencontainers.image.title'], 'hello.sif');
    assert.equal(manifest.manifest.config.mediaType, 'application/vnd.sylabs.sif.config.v1+json');
    assert.match(manifest.manifest.annotations['org.opencontainers.image.created'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const byDigest = await e.run(['pull', '--no-cache', '--name', 'pinned.sif', ref(`alice/hello@${digest}`)]);
    assert.equal(byDigest.code, 0, byDigest.stderr);
    assert.equal(fileSha256(path.join(e.work, 'pinned.sif')), version);
  });

  test('catalogue names: a tag with capitals is catalogued lower case and found; a pin without a tag under the pin; a one-part repository printed as the registry has it', async () => {
    const pushed = await e.run(['push', image, '--name', ref('alice/cased:Abc')]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const version = fileSha256(image);
    const pulled = await e.run(['pull', ref('alice/cased:Abc')]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, new RegExp(`\\[container\\]\\[new\\] alice/cased:abc@${version}\\n`));
    for (const name of ['alice/cased:Abc', 'alice/cased:abc']) {
      const got = await e.run(['get', name]);
      assert.equal(got.code, 0, `${name}: ${got.stderr}`);
    }
    const inspect = JSON.parse((await e.run(['inspect', 'alice/cased:abc', '--json'])).stdout);
    assert.equal((Array.isArray(inspect) ? inspect[0] : inspect).metrics.manifest.reference, 'Abc', 'the record keeps the registry tag');
    assert.equal((await e.run(['rmi', 'alice/cased:Abc'])).code, 0);

    const digest = /Pushed (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
    const pinned = await e.run(['pull', ref(`alice/cased@${digest}`)]);
    assert.equal(pinned.code, 0, pinned.stderr);
    assert.match(pinned.stdout, new RegExp(`\\[container\\]\\[new\\] alice/cased:sha256\\.${digest?.slice(7)}@${version}\\n`));
    assert.equal((await e.run(['get', 'alice/cased:latest'])).code, 1, 'no latest was invented');

    const solo = await e.run(['push', image, '--name', ref('solo:1'), '--json']);
    assert.equal(solo.code, 0, solo.stderr);
    assert.equal(JSON.parse(solo.stdout).uri, `${registry.host}/solo:1`);
    const plain = await e.run(['push', image, '--name', ref('solo:2')]);
    assert.match(plain.stdout, new RegExp(`^\\[push\\] ${registry.host.replace(/\./g, '\\.')}/solo:2 Pushed`, 'm'));
  });

  test('--json gives the reference, manifest digest and size; a second push uploads no blob again', async () => {
    const r = await e.run(['push', image, '--name', ref('alice/hello:v2'), '--json', '--debug']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.details.reference, `${registry.host}/alice/hello:v2`);
    assert.match(doc.details.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(doc.details.size, fs.statSync(image).size);
    assert.equal(doc.details.blobUploaded, false, 'the registry already had the blob');
    assert.doesNotMatch(r.stderr, /POST .*blobs\/uploads/, 'no upload session was opened');
    assert.ok(!(r.stdout + r.stderr).includes(PASSWORD), 'no password in the output');
    assert.ok(!(r.stdout + r.stderr).includes(Buffer.from(`${USER}:${PASSWORD}`).toString('base64')), 'no Basic credential in --debug');
  });

  test('a large file goes up in PATCH chunks and comes back byte for byte', async () => {
    const big = path.join(e.home, 'big.sif');
    // a SIF: pull refuses other bytes under the SIF layer type
    await writeSif(big, { partition: { data: Buffer.alloc(3 * 1024 * 1024 + 5, 7), arch: 'amd64' } });
    const r = await e.run(['push', big, '--name', ref('alice/big:v1'), '--debug'], {
      env: { SREGISTRY_ORAS_CHUNK_SIZE: String(1024 * 1024) },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.stderr.match(/PATCH /g) ?? []).length, 4, 'four chunks');
    const pulled = await e.run(['pull', '--no-cache', '--name', 'big-back.sif', ref('alice/big:v1')]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(fileSha256(path.join(e.work, 'big-back.sif')), fileSha256(big));
  });

  test('a file of 16 MiB or more is hashed while it uploads in one streamed PATCH; pushed again, its upload is dropped and leaves nothing', async () => {
    const large = path.join(e.home, 'large.sif');
    // 17 MiB of varied bytes: not all one value, so a misplaced piece would change the digest
    const bytes = Buffer.alloc(17 * 1024 * 1024 + 11);
    for (let i = 0; i < bytes.length; i += 4096) bytes.writeUInt32LE(i, i);
    await writeSif(large, { partition: { data: bytes, arch: 'amd64' } });
    const first = await e.run(['push', large, '--name', ref('alice/large:v1'), '--json', '--debug']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(JSON.parse(first.stdout).details.blobUploaded, true);
    assert.equal(JSON.parse(first.stdout).details.layer, `sha256:${fileSha256(large)}`);
    assert.equal((first.stderr.match(/PATCH .*streamed/g) ?? []).length, 1, 'one streamed PATCH');
    assert.doesNotMatch(first.stderr, /PATCH .*\(\d+ bytes\)/, 'no chunk of a fixed length');
    const pulled = await e.run(['pull', '--no-cache', '--name', 'large-back.sif', ref('alice/large:v1')]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(fileSha256(path.join(e.work, 'large-back.sif')), fileSha256(large));

    const again = await e.run(['push', large, '--name', ref('alice/large:v2'), '--json', '--debug']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).details.blobUploaded, false, 'the registry already had the blob');
    assert.match(again.stderr, /its upload was dropped/);
    assert.doesNotMatch(again.stderr, /PUT .*blobs\/uploads\/.*digest=/, 'the session was not committed');
    const uploads = path.join(registry.storage, 'docker', 'registry', 'v2', 'repositories', 'alice', 'large', '_uploads');
    assert.deepEqual(
      filesUnder(uploads).filter((f) => path.basename(f) === 'data'),
      [],
      'no upload session keeps bytes on the registry',
    );
    const v2 = await e.run(['pull', '--no-cache', '--name', 'large-v2.sif', ref('alice/large:v2')]);
    assert.equal(v2.code, 0, v2.stderr);
    assert.equal(fileSha256(path.join(e.work, 'large-v2.sif')), fileSha256(large));
  });

  test('an artifact written by hand in Apptainer layout pulls, also with the old misspelled layer type', async () => {
    const other = path.join(e.home, 'other.sif');
    await sampleSif(other, { labels: { who: 'apptainer' } } as never);
    await pushByHand(registry, 'apptainer/made', 'latest', other);
    const r = await e.run(['pull', '--no-cache', '--name', 'made.sif', ref('apptainer/made:latest')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fileSha256(path.join(e.work, 'made.sif')), fileSha256(other));

    await pushByHand(registry, 'apptainer/old', 'latest', other, 'appliciation/vnd.sylabs.sif.layer.tar');
    const old = await e.run(['pull', '--no-cache', '--name', 'old.sif', ref('apptainer/old:latest')]);
    assert.equal(old.code, 0, old.stderr);
  });

  test("an index: --arch picks its manifest, else this machine's; no match names the architectures there", async () => {
    const arm = path.join(e.home, 'arm.sif');
    const amd = path.join(e.home, 'amd.sif');
    await writeSif(arm, { partition: { data: Buffer.alloc(8192, 1), arch: 'arm64' } });
    await writeSif(amd, { partition: { data: Buffer.alloc(8192, 2), arch: 'amd64' } });
    const a = await pushByHand(registry, 'multi/arch', 'arm64-only', arm);
    const b = await pushByHand(registry, 'multi/arch', 'amd64-only', amd);
    // amd64 first: the order must not decide
    await pushIndexByHand(registry, 'multi/arch', 'v1', [
      { digest: b.manifestDigest, size: b.manifestSize, architecture: 'amd64' },
      { digest: a.manifestDigest, size: a.manifestSize, architecture: 'arm64' },
    ]);
    const r = await e.run(['pull', '--arch', 'arm64', '--no-cache', '--name', 'multi-arm.sif', ref('multi/arch:v1')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fileSha256(path.join(e.work, 'multi-arm.sif')), fileSha256(arm));
    const machine = { x64: 'amd64', arm64: 'arm64' }[process.arch as string];
    if (machine) {
      const d = await e.run(['pull', '--no-cache', '--name', 'multi-default.sif', ref('multi/arch:v1')]);
      assert.equal(d.code, 0, d.stderr);
      assert.equal(fileSha256(path.join(e.work, 'multi-default.sif')), fileSha256(machine === 'arm64' ? arm : amd));
    }
    const before = filesUnder(e.storage);
    assertOneLineError(
      await e.run(['pull', '--arch', 'ppc64le', ref('multi/arch:v1')]),
      /multi\/arch:v1 has no manifest for linux\/ppc64le; it has linux\/amd64, linux\/arm64; pull another architecture with --arch \(amd64, arm64\)/,
    );
    // an index of one manifest for another platform is not taken either
    await pushIndexByHand(registry, 'multi/arch', 'amd-index', [{ digest: b.manifestDigest, size: b.manifestSize, architecture: 'amd64' }]);
    assertOneLineError(
      await e.run(['pull', '--arch', 'arm64', ref('multi/arch:amd-index')]),
      /has no manifest for linux\/arm64; it has linux\/amd64/,
    );
    // one manifest, not an index: --arch cannot choose, so a SIF built for another architecture is pulled with a warning
    const plain = await e.run(['pull', '--arch', 'amd64', '--no-cache', '--name', 'plain-arm.sif', ref('multi/arch:arm64-only')]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(
      plain.stderr,
      /^WARNING --arch amd64 could not choose: .*multi\/arch:arm64-only.* is a single image, not one per architecture, and it is built for arm64$/m,
    );
    assert.equal(fileSha256(path.join(e.work, 'plain-arm.sif')), fileSha256(arm));
    for (const args of [['--arch', 'arm64'], []]) {
      const same = await e.run(['pull', ...args, '--no-cache', '--name', 'plain-arm.sif', '--force', ref('multi/arch:arm64-only')]);
      assert.equal(same.code, 0, same.stderr);
      assert.doesNotMatch(same.stderr, /WARNING/, `${args}: the SIF is what was asked for`);
    }
    // --arch selects linux manifests only: the fix offers no architecture that only another OS has
    const ppc = path.join(e.home, 'ppc.sif');
    await writeSif(ppc, { partition: { data: Buffer.alloc(8192, 3), arch: 'ppc64le' } });
    const p = await pushByHand(registry, 'multi/arch', 'ppc64le-only', ppc);
    await pushIndexByHand(registry, 'multi/arch', 'mixed', [
      { digest: p.manifestDigest, size: p.manifestSize, architecture: 'ppc64le' },
      { digest: b.manifestDigest, size: b.manifestSize, architecture: 'amd64', os: 'windows' },
    ]);
    assertOneLineError(
      await e.run(['pull', '--arch', 'amd64', ref('multi/arch:mixed')]),
      /has no manifest for linux\/amd64; it has linux\/ppc64le, windows\/amd64; pull another architecture with --arch \(ppc64le\), or one manifest by digest: /,
    );
    await pushIndexByHand(registry, 'multi/arch', 'windows', [
      { digest: b.manifestDigest, size: b.manifestSize, architecture: 'amd64', os: 'windows' },
    ]);
    assertOneLineError(
      await e.run(['pull', '--arch', 'amd64', ref('multi/arch:windows')]),
      /has no manifest for linux\/amd64; it has windows\/amd64; pull one manifest by digest: oras:\/\//,
    );
    assert.deepEqual(filesUnder(e.storage), before, 'nothing kept');
  });

  test('a container image (not a SIF) and upper-case names are refused with one line', async () => {
    await pushByHand(registry, 'docker/image', 'latest', image, 'application/vnd.oci.image.layer.v1.tar+gzip');
    assertOneLineError(
      await e.run(['pull', ref('docker/image:latest')]),
      /is not a SIF artifact: .*; a container image is pulled with docker:\/\//,
    );
    // two SIF layers are a broken artifact, not a container image
    await pushByHand(registry, 'broken/twice', 'latest', image, undefined, 2);
    assertOneLineError(
      await e.run(['pull', ref('broken/twice:latest')]),
      /it has 2 layer\(s\) \(application\/vnd\.sylabs\.sif\.layer\.v1\.sif\).*; ask whoever pushed it to push one SIF again/,
    );
    assertOneLineError(
      await e.run(['pull', ref('Alice/Hello:v1')]),
      /not a valid OCI repository name \(OCI names are lower case\).*alice\/hello/,
    );
    assertOneLineError(await e.run(['pull', ref('alice/hello:nope')]), /alice\/hello:nope is not in the registry/);
    // a name of 40 hex digits is a name, not a secret: the fix line shows it whole
    const hex = 'deadbeef'.repeat(5);
    assertOneLineError(
      await e.run(['pull', ref(`demo/${hex}:1`)]),
      new RegExp(`check the name and tag: sregistry search oras://${registry.host.replace(/\./g, '\\.')}/demo/${hex}$`),
    );
  });

  test('a SIF layer that holds no SIF is refused in one line and nothing is kept (file, row, temp)', async () => {
    const noise = path.join(e.home, 'noise.bin');
    fs.writeFileSync(noise, crypto.randomBytes(5000));
    await pushByHand(registry, 'fake/noise', 'v1', noise);
    const before = filesUnder(e.storage);
    for (const args of [['pull'], ['pull', '--no-verify']]) {
      assertOneLineError(
        await e.run([...args, ref('fake/noise:v1')]),
        /fake\/noise:v1 from .* is not a valid SIF \(not an image format sregistry knows\); nothing was kept; .*push a SIF again$/,
      );
      assert.deepEqual(filesUnder(e.storage), before, 'nothing stored, nothing left in .tmp');
    }
    assert.ok(!(await e.run(['images', '--json'])).stdout.includes('fake/noise'), 'no catalogue row');
    const work = fs.readdirSync(e.work).sort();
    assertOneLineError(await e.run(['pull', '--no-cache', '--name', 'noise.sif', ref('fake/noise:v1')]), /is not a valid SIF/);
    assert.deepEqual(fs.readdirSync(e.work).sort(), work, 'no file, no temp beside it');
    // a SIF's magic with a header that does not hold together is no SIF either
    const broken = fs.readFileSync(image);
    broken.fill(0xff, 80, 128);
    fs.writeFileSync(noise, broken);
    await pushByHand(registry, 'fake/broken', 'v1', noise);
    assertOneLineError(await e.run(['pull', ref('fake/broken:v1')]), /fake\/broken:v1 from .* is not a valid SIF \(/);
    assert.deepEqual(filesUnder(e.storage), before);
  });

  test('a push of what is no SIF (squashfs, random bytes) is refused before any upload, in one line', async () => {
    const files = { squashfs: fakeSquashfs(), noise: crypto.randomBytes(5000) };
    for (const [kind, bytes] of Object.entries(files)) {
      const file = path.join(e.work, `${kind}.img`);
      fs.writeFileSync(file, bytes);
      const shown = kind === 'squashfs' ? 'a squashfs image' : 'no SIF, squashfs or ext3 image';
      for (const json of [false, true]) {
        const r = await e.run(['push', file, '--name', ref(`notsif/${kind}:v1`), ...(json ? ['--json'] : [])]);
        if (json) {
          assert.equal(r.code, 1);
          assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'ENOTSIF');
          continue;
        }
        assertOneLineError(
          r,
          new RegExp(
            `${kind}\\.img is ${shown}, and the oras backend holds only SIF images; build a SIF from it \\(apptainer build image\\.sif .*${kind}\\.img\\) and push that$`,
          ),
        );
      }
      // nothing reached the registry: the repository does not exist there
      assertOneLineError(await e.run(['pull', ref(`notsif/${kind}:v1`)]), /is not in the registry/);
      fs.rmSync(file);
    }
  });

  test('user:password@ in a URI, a yes/no setting that is neither, and a host that is not there: one line each', async () => {
    const secret = 'hunter2-in-uri';
    for (const args of [
      ['pull', `oras://${USER}:${secret}@${registry.host}/alice/hello:v1`],
      ['push', image, '--name', `oras://${USER}:${secret}@${registry.host}/alice/hello:v9`],
      ['search', `oras://${USER}:${secret}@${registry.host}/`],
    ]) {
      const line = assertOneLineError(
        await e.run(args),
        new RegExp(
          `credentials do not go in the URI; remove them and log in instead: sregistry oras login ${registry.host.replace(/\./g, '\\.')} --username <name> --password-stdin$`,
        ),
      );
      assert.ok(!line.includes(secret) && !line.includes(USER), `${line} names neither the user nor the password`);
    }
    assertOneLineError(
      await e.run(['search', `oras://${registry.host}/`], { env: { SREGISTRY_ORAS_NOHTTPS: 'maybe' } }),
      /SREGISTRY_ORAS_NOHTTPS is "maybe", not yes or no; set it to yes\/true\/t\/y\/1 or no\/false\/f\/n\/0/,
    );
    assertOneLineError(
      await e.run(['pull', 'oras://127.0.0.1:9/alice/hello:v1']),
      /cannot reach .*127\.0\.0\.1:9.*; check the host and port in the reference \(127\.0\.0\.1:9\) and that the registry is running$/,
    );
  });

  test('a blob corrupted on the registry disk fails the pull and keeps nothing', async () => {
    const victim = path.join(e.home, 'victim.sif');
    await writeSif(victim, { partition: { data: Buffer.alloc(200 * 1024, 3), arch: 'amd64' } });
    assert.equal((await e.run(['push', victim, '--name', ref('alice/victim:v1')])).code, 0);
    const blob = registry.blobPath(`sha256:${fileSha256(victim)}`);
    const bytes = fs.readFileSync(blob);
    // in the partition, so the file is still a SIF for --no-verify below
    bytes[bytes.length - 1000] ^= 0xff;
    fs.writeFileSync(blob, bytes);
    const before = filesUnder(e.storage);
    const r = await e.run(['pull', ref('alice/victim:v1')]);
    assertOneLineError(r, /sha256 .* does not match/);
    assert.deepEqual(filesUnder(e.storage), before, 'nothing stored, nothing left in .tmp');
    const images = await e.run(['images', '--json']);
    assert.ok(!images.stdout.includes('alice/victim'), 'no catalogue row');
    // --no-verify keeps it, under the sha256 its bytes have, not the digest the registry names
    const kept = await e.run(['pull', '--no-verify', ref('alice/victim:v1')]);
    assert.equal(kept.code, 0, kept.stderr);
    const own = fileSha256(blob);
    assert.match(kept.stderr, new RegExp(`WARNING the file's sha256 is ${own}, not the ${fileSha256(victim)} the service names`));
    assert.match(kept.stdout, new RegExp(`alice/victim:v1@${own}\\n`));
    assert.equal((await e.run(['rmi', 'alice/victim:v1'])).code, 0);
  });

  test('search lists repositories and tags across pages', async () => {
    for (const tag of ['a1', 'a2', 'a3']) assert.equal((await e.run(['push', image, '--name', ref(`alice/paged:${tag}`)])).code, 0);
    const tags = await e.run(['search', ref('alice/paged'), '--debug'], { env: { SREGISTRY_ORAS_PAGE_SIZE: '2' } });
    assert.equal(tags.code, 0, tags.stderr);
    assert.match(tags.stdout, /Tags .*alice\/paged\n/);
    for (const tag of ['a1', 'a2', 'a3']) assert.match(tags.stdout, new RegExp(`alice/paged:${tag}`));
    assert.equal((tags.stderr.match(/GET .*tags\/list/g) ?? []).length >= 2, true, 'two pages were read');
    const repos = await e.run(['search', `oras://${registry.host}/`, '--json'], { env: { SREGISTRY_ORAS_PAGE_SIZE: '2' } });
    assert.equal(repos.code, 0, repos.stderr);
    const names = JSON.parse(repos.stdout).flatMap((r: { items: { repository: string }[] }) => r.items.map((i) => i.repository));
    for (const name of ['alice/hello', 'alice/paged', 'apptainer/made']) assert.ok(names.includes(name), `${name} in ${names}`);
    // Distribution refuses more than 1000 catalogue entries per page: the fix names the setting
    const tooMany = await e.run(['search', `oras://${registry.host}/`], { env: { SREGISTRY_ORAS_PAGE_SIZE: '1001' } });
    assertOneLineError(tooMany, /PAGINATION_NUMBER_INVALID.*; lower SREGISTRY_ORAS_PAGE_SIZE \(Distribution allows at most 1000/);
  });

  test('delete removes the tag by its manifest digest', async () => {
    assert.equal((await e.run(['push', image, '--name', ref('alice/gone:v1')])).code, 0);
    const r = await e.run(['delete', '--force', ref('alice/gone:v1')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Deleted sha256:[0-9a-f]{64}/);
    assertOneLineError(await e.run(['pull', ref('alice/gone:v1')]), /is not in the registry/);
  });

  test('login writes the Docker config with mode 0600 keeping other entries; logout removes only its own', async () => {
    const other = await orasHome(registry, { login: false });
    try {
      fs.mkdirSync(path.dirname(other.dockerConfig), { recursive: true });
      fs.writeFileSync(other.dockerConfig, JSON.stringify({ auths: { 'ghcr.io': { auth: 'eDp5' } }, credsStore: '', psFormat: 'table' }));
      assertOneLineError(
        await other.run(['pull', ref('alice/hello:v1')]),
        new RegExp(`${registry.host} needs a login for alice/hello.*oras login`),
      );

      const warned = await other.run(['oras', 'login', registry.host, '--username', USER]);
      assertOneLineError(warned, /standard input/, 2);
      const login = await other.run(['oras', 'login', registry.host, '--username', USER, '--password-stdin'], { input: `${PASSWORD}\n` });
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stdout, /Login Succeeded/);
      assert.ok(!login.stdout.includes(PASSWORD));
      assert.equal(fs.statSync(other.dockerConfig).mode & 0o777, 0o600);
      const config = JSON.parse(fs.readFileSync(other.dockerConfig, 'utf8'));
      assert.equal(config.auths['ghcr.io'].auth, 'eDp5', 'other logins kept');
      assert.equal(config.psFormat, 'table', 'other settings kept');
      assert.equal((await other.run(['pull', '--no-cache', '--name', 'x.sif', ref('alice/hello:v1')])).code, 0);

      const logout = await other.run(['oras', 'logout', registry.host]);
      assert.equal(logout.code, 0, logout.stderr);
      const after = JSON.parse(fs.readFileSync(other.dockerConfig, 'utf8'));
      assert.equal(after.auths[registry.host], undefined);
      assert.equal(after.auths['ghcr.io'].auth, 'eDp5');
    } finally {
      other.cleanup();
    }
  });

  test('two logins (and two logouts) at the same moment both land in the Docker config, under its lock', async () => {
    const both = await orasHome(registry, { login: false });
    try {
      fs.mkdirSync(path.dirname(both.dockerConfig), { recursive: true });
      fs.writeFileSync(both.dockerConfig, JSON.stringify({ auths: { 'ghcr.io': { auth: 'eDp5' } } }), { mode: 0o600 });
      // the same registry under two names: two entries, written by two processes at once
      const port = registry.host.split(':').pop();
      const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
      const auths = () => Object.keys(JSON.parse(fs.readFileSync(both.dockerConfig, 'utf8')).auths).sort();
      for (let round = 0; round < 4; round++) {
        const logins = await Promise.all(
          hosts.map((h) => both.run(['oras', 'login', h, '--username', USER, '--password-stdin'], { input: PASSWORD })),
        );
        for (const login of logins) assert.equal(login.code, 0, login.stderr);
        assert.deepEqual(auths(), [`127.0.0.1:${port}`, 'ghcr.io', `localhost:${port}`].sort(), `round ${round}: a login was lost`);
        const logouts = await Promise.all(hosts.map((h) => both.run(['oras', 'logout', h])));
        for (const logout of logouts) assert.match(logout.stdout, /Removed login credentials/, logout.stderr);
        assert.deepEqual(auths(), ['ghcr.io'], `round ${round}: a logout was lost`);
      }
      assert.equal(fs.statSync(both.dockerConfig).mode & 0o777, 0o600);
      assert.ok(!fs.existsSync(`${both.dockerConfig}.lock`), 'the lock is released');
    } finally {
      both.cleanup();
    }
  });

  test('login refuses what is not a registry host, a user name with ":", and a registry it cannot reach; nothing is saved', async () => {
    const other = await orasHome(registry, { login: false });
    try {
      const login = (host: string, user = USER) =>
        other.run(['oras', 'login', host, '--username', user, '--password-stdin'], { input: `${PASSWORD}\n` });
      assertOneLineError(await login('bad host'), /"bad host" is not a registry host\[:port\]/, 2);
      assertOneLineError(await login(`${registry.host}/alice`), /is not a registry host\[:port\]/, 2);
      assertOneLineError(await login(registry.host, 'al:ice'), /the user name contains ":"/, 2);
      const empty = assertOneLineError(
        await login(registry.host, ''),
        /the user name is empty; give the user name the registry knows: /,
        2,
      );
      assert.doesNotMatch(empty, /":"/, 'the fix for a user name with ":" is not given for an empty one');
      const usage = await other.run(['oras', 'login', registry.host, '--username', USER, '--password-stdin'], { input: '' });
      assert.equal(usage.code, 2, 'a usage error exits 2');
      const down = await login('127.0.0.1:9');
      assert.equal(down.code, 1, down.stderr);
      assert.match(
        down.stderr,
        /^ERROR .*127\.0\.0\.1:9.*; check the registry host and port \(127\.0\.0\.1:9\) and that the registry is running$/m,
      );
      assert.doesNotMatch(down.stderr, /base URL/, 'an oras registry has no base URL');
      assert.ok(!fs.existsSync(other.dockerConfig), 'no login saved');
    } finally {
      other.cleanup();
    }
  });

  test("logins from a credential helper, from Apptainer's docker-config.json, and a missing helper", async () => {
    const other = await orasHome(registry, { login: false });
    try {
      const bin = path.join(other.home, 'bin');
      fs.mkdirSync(bin);
      const helper = path.join(bin, 'docker-credential-sregtest');
      // a credential helper answers `get` with the host on stdin
      fs.writeFileSync(
        helper,
        `#!/bin/sh\nread host\nif [ "$host" = "${registry.host}" ]; then printf '{"Username":"${USER}","Secret":"${PASSWORD}"}'; else echo "credentials not found" >&2; exit 1; fi\n`,
        { mode: 0o755 },
      );
      const env = { PATH: `${bin}:${process.env.PATH}` };
      fs.mkdirSync(path.dirname(other.dockerConfig), { recursive: true });
      fs.writeFileSync(other.dockerConfig, JSON.stringify({ credHelpers: { [registry.host]: 'sregtest' } }));
      const viaHelper = await other.run(['pull', '--no-cache', '--name', 'helper.sif', ref('alice/hello:v1'), '--debug'], { env });
      assert.equal(viaHelper.code, 0, viaHelper.stderr);
      assert.match(viaHelper.stderr, /credentials for .* from docker-credential-sregtest/);
      assert.ok(!(viaHelper.stdout + viaHelper.stderr).includes(PASSWORD));

      fs.writeFileSync(other.dockerConfig, JSON.stringify({ credsStore: 'nosuchhelper' }));
      assertOneLineError(await other.run(['pull', ref('alice/hello:v1')], { env }), /docker-credential-nosuchhelper is not installed/);

      fs.rmSync(other.dockerConfig);
      writeLogin(path.join(other.home, '.apptainer', 'docker-config.json'), registry.host, USER, PASSWORD);
      const viaApptainer = await other.run(['pull', '--no-cache', '--name', 'apptainer.sif', ref('alice/hello:v1')]);
      assert.equal(viaApptainer.code, 0, viaApptainer.stderr);
    } finally {
      other.cleanup();
    }
  });

  test('a wrong password is one line naming the registry and the fix, never the password', async () => {
    const wrong = await orasHome(registry, { login: false });
    try {
      const bad = 'not-the-password-42';
      // login asks the registry first: the wrong password is refused and nothing is written
      for (const extra of [[], ['--debug']]) {
        const login = await wrong.run(['oras', 'login', registry.host, '-u', USER, '--password-stdin', ...extra], { input: bad });
        const line = login.stderr.split('\n').filter((l) => l.startsWith('ERROR'));
        assert.equal(login.code, 1, login.stderr);
        assert.equal(line.length, 1, login.stderr);
        assert.match(line[0], new RegExp(`${registry.host} refused the password of alice`));
        assert.doesNotMatch(login.stdout, /Login Succeeded/);
        assert.ok(!(login.stdout + login.stderr).includes(bad), 'the password is not printed');
        assert.ok(!fs.existsSync(wrong.dockerConfig), 'no login saved');
      }
      // one saved by another tool is refused by the registry at the pull
      writeLogin(wrong.dockerConfig, registry.host, USER, bad);
      for (const extra of [[], ['--debug']]) {
        const r = await wrong.run(['pull', ref('alice/hello:v1'), ...extra]);
        assert.equal(r.code, 1);
        const line = r.stderr.split('\n').filter((l) => l.startsWith('ERROR'));
        assert.equal(line.length, 1, r.stderr);
        assert.match(line[0], new RegExp(`${registry.host} refused the password of alice.*oras login`));
        assert.ok(!(r.stdout + r.stderr).includes(bad), 'the password is not printed');
        assert.ok(!(r.stdout + r.stderr).includes(Buffer.from(`${USER}:${bad}`).toString('base64')), 'nor its Basic form');
      }
    } finally {
      wrong.cleanup();
    }
  });
});
