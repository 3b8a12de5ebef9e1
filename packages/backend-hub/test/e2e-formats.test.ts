// The archive holds three eras of images: SIF, Singularity 2.4+ `.simg` (squashfs) and Hub v1 `.img.gz`
// (gzip'd ext3, versioned by the md5 of the *unpacked* image). Each is pulled through the CLI and inspected.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { type HubServer, startHubServer, writeExt3, writeSimg } from '@sregistry/testkit';
import { cliInTempHome } from '../../cli/test/helpers';

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

describe('hub pull of legacy formats through the CLI', () => {
  let hub: HubServer;
  let cli: ReturnType<typeof cliInTempHome>;
  let seeds: string;
  let simg: Buffer;
  let ext3: Buffer;
  const stored = (collection: string, name: string, v: string) =>
    path.join(cli.home, '.singularity', 'shub', collection, name, `latest@${v}.sif`);
  const files = () => {
    const root = path.join(cli.home, '.singularity', 'shub');
    return (fs.readdirSync(root, { recursive: true }) as string[])
      .filter((f) => fs.statSync(path.join(root, f)).isFile() && f !== path.join('.tmp', 'last-sweep'))
      .sort();
  };
  const inspect = async (uri: string) => {
    const r = await cli.run(['inspect', uri, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { version: string; metrics: { format: string }; sif: { format: string } };
  };

  before(async () => {
    seeds = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-e2e-formats-'));
    const simgFile = (await writeSimg(path.join(seeds, 'busybox.simg'))).path;
    const ext3File = (await writeExt3(path.join(seeds, 'legacy.img'), { launchScript: true })).path;
    simg = fs.readFileSync(simgFile);
    ext3 = fs.readFileSync(ext3File);
    hub = await startHubServer({
      images: [
        { user: 'singularityhub', repo: 'busybox', tag: 'latest', file: simgFile },
        // a plain ext3 seeded as img.gz: the server gzips it and versions it by the unpacked md5, as the archive did
        { user: 'vsoch', repo: 'legacy', tag: 'latest', file: ext3File, format: 'img.gz' },
      ],
    });
    cli = cliInTempHome({ SREGISTRY_HUB_BASE: hub.origin });
  });
  after(async () => {
    await hub?.close();
    cli?.cleanup();
    fs.rmSync(seeds, { recursive: true, force: true });
  });

  test('.simg: stored as served, verified by md5, inspected as squashfs', async () => {
    const v = md5(simg);
    const r = await cli.run(['pull', 'shub://singularityhub/busybox']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[1], `[container][new] singularityhub/busybox:latest@${v}`);
    assert.ok(fs.readFileSync(stored('singularityhub', 'busybox', v)).equals(simg));
    const record = await inspect('singularityhub/busybox');
    assert.equal(record.version, v);
    assert.equal(record.metrics.format, 'squashfs');
    assert.equal(record.sif.format, 'squashfs');
  });

  test('.img.gz without --gunzip: stored compressed, with a warning that says how to unpack', async () => {
    const v = md5(ext3);
    const r = await cli.run(['pull', 'vsoch/legacy']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'WARNING this is a gzip-compressed legacy image; pull it with --gunzip to store it unpacked\n');
    const file = fs.readFileSync(stored('vsoch', 'legacy', v));
    assert.deepEqual([...file.subarray(0, 2)], [0x1f, 0x8b], 'still gzip');
    assert.ok(zlib.gunzipSync(file).equals(ext3));
    assert.equal((await inspect('vsoch/legacy')).metrics.format, 'gzip');
  });

  test('.img.gz with --gunzip: the unpacked ext3 is stored and its md5 checked against the version', async () => {
    const v = md5(ext3);
    const r = await cli.run(['pull', 'vsoch/legacy', '--gunzip']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no warning once unpacked');
    assert.equal(r.stdout.split('\n')[1], `[container][update] vsoch/legacy:latest@${v}`);
    assert.ok(fs.readFileSync(stored('vsoch', 'legacy', v)).equals(ext3));
    const record = await inspect('vsoch/legacy');
    assert.equal(record.metrics.format, 'ext3');
    assert.equal(record.sif.format, 'ext3');
  });

  test('--gunzip with an unpacked md5 that is not the version: error, nothing stored; --no-verify stores it', async () => {
    const wrong = 'a'.repeat(32);
    const build = hub.builds.find((b) => b.manifest.name === 'vsoch/legacy')!;
    const before = files();
    build.manifest.version = wrong;
    try {
      const r = await cli.run(['pull', 'vsoch/legacy', '--gunzip']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.split('\n').length, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^ERROR the unpacked image's md5 ${md5(ext3)} does not match the service's version ${wrong}; `));
      assert.deepEqual(files(), before, 'no new file, no leftover temporary file');
      const images = JSON.parse((await cli.run(['images', '--json'])).stdout) as { uri: string }[];
      assert.ok(!images.some((i) => i.uri.includes(wrong)), 'no record');

      const forced = await cli.run(['pull', 'vsoch/legacy', '--gunzip', '--no-verify']);
      assert.equal(forced.code, 0, forced.stderr);
      assert.ok(fs.readFileSync(stored('vsoch', 'legacy', wrong)).equals(ext3));
    } finally {
      build.manifest.version = md5(ext3);
    }
  });
});
