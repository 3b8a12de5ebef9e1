import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { fakeSquashfs, sampleSif, writeExt3, writeGzipped, writeSimg, writeSquashfs } from '../../testkit/src/sif-writer';
import { isUserError } from '../src/errors';
import { detectImageFormat, inspectImage } from '../src/sif/index';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sif-detect-'));
after(() => fs.rm(dir, { recursive: true, force: true }));
let n = 0;
const tmp = (name: string) => path.join(dir, `${n++}-${name}`);

test('a SIF is recognised first, although it also starts with the run-singularity line', async () => {
  const file = tmp('a.sif');
  await sampleSif(file, { partition: { data: { size: 8 * 1024 * 1024 } } });
  const info = await detectImageFormat(file);
  assert.deepEqual(info, {
    format: 'sif',
    offset: 0,
    bytesRead: 2048,
    details: { version: '01', supportedVersion: true, launchScript: '#!/usr/bin/env run-singularity\n' },
  });
});

test('a SIF of another version is still a SIF, flagged as unsupported', async () => {
  const file = tmp('v2.sif');
  await sampleSif(file, { launchScript: false });
  const bytes = await fs.readFile(file);
  bytes.write('02', 42, 'latin1');
  await fs.writeFile(file, bytes);
  const info = await detectImageFormat(file);
  assert.equal(info.format, 'sif');
  assert.deepEqual(info.details, { version: '02', supportedVersion: false, launchScript: '' });
});

test('a legacy simg: squashfs at offset 31 with its superblock fields', async () => {
  const file = tmp('a.simg');
  const written = await writeSimg(file);
  assert.equal(written.offset, 31);
  const info = await detectImageFormat(file);
  assert.deepEqual(info, {
    format: 'squashfs',
    offset: 31,
    bytesRead: 2048,
    details: {
      launchScript: true,
      inodeCount: 1,
      mkfsTime: new Date(0),
      blockSize: 131072,
      compressor: 1,
      compressorName: 'gzip',
      versionMajor: 4,
      versionMinor: 0,
      bytesUsed: 96,
      complete: true,
    },
  });
});

test('a bare squashfs starts at 0; other compressors and truncation are reported', async () => {
  const file = tmp('a.sqfs');
  await writeSquashfs(file, fakeSquashfs({ compressor: 4, bytesUsed: 10_000, size: 4096, mkfsTime: 1_700_000_000 }));
  const info = await detectImageFormat(file);
  assert.equal(info.format, 'squashfs');
  assert.equal(info.offset, 0);
  if (info.format !== 'squashfs') return;
  assert.equal(info.details.launchScript, false);
  assert.equal(info.details.compressorName, 'xz');
  assert.deepEqual(info.details.mkfsTime, new Date(1_700_000_000_000));
  assert.equal(info.details.complete, false, 'bytes_used runs past the end of the file');

  const zstd = tmp('z.simg');
  await writeSimg(zstd, fakeSquashfs({ compressor: 6 }));
  const z = await detectImageFormat(zstd);
  assert.equal(z.format === 'squashfs' && z.details.compressorName, 'zstd');
});

test('a squashfs magic without a whole superblock is unknown', async () => {
  const file = tmp('short.sqfs');
  await fs.writeFile(file, fakeSquashfs().subarray(0, 50));
  const info = await detectImageFormat(file);
  assert.equal(info.format, 'unknown');
  assert.match(info.format === 'unknown' ? info.details.reason : '', /truncated superblock/);
});

test('ext3 images, with and without the launch line (the superblock then lies past the first 2 KiB)', async () => {
  const plain = tmp('plain.img');
  await writeExt3(plain, { volumeName: 'rootfs' });
  const a = await detectImageFormat(plain);
  assert.equal(a.format, 'ext3');
  assert.equal(a.offset, 0);
  assert.equal(a.bytesRead, 2048, 'the superblock was inside the first 2 KiB');
  assert.deepEqual(a.details, {
    launchScript: false,
    hasJournal: true,
    featureCompat: 4,
    featureIncompat: 2,
    featureRoCompat: 3,
    blockSize: 1024,
    blocksCount: 8,
    volumeName: 'rootfs',
  });

  const launched = tmp('launched.img');
  await writeExt3(launched, { launchScript: true });
  const b = await detectImageFormat(launched);
  assert.equal(b.format, 'ext3');
  assert.equal(b.offset, 31);
  assert.equal(b.format === 'ext3' && b.details.launchScript, true);
  assert.ok(b.bytesRead <= 2048 + 1024, `read ${b.bytesRead}`);
  assert.ok(b.bytesRead > 2048, 'the shifted superblock needed a second read');
});

test('ext2 (no journal) and ext4 (extra features) are not ext3', async () => {
  const ext2 = tmp('ext2.img');
  await writeExt3(ext2, { hasJournal: false });
  const a = await detectImageFormat(ext2);
  assert.equal(a.format, 'unknown');
  assert.match(a.format === 'unknown' ? a.details.reason : '', /without a journal/);

  const ext4 = tmp('ext4.img');
  await writeExt3(ext4, { featureIncompat: 0x2 | 0x40 });
  const b = await detectImageFormat(ext4);
  assert.equal(b.format, 'unknown');
  assert.match(b.format === 'unknown' ? b.details.reason : '', /incompat 0x42; ext4\?/);
});

test('gzip: the header is reported and inspectImage looks inside', async () => {
  const simg = tmp('in.simg');
  await writeSimg(simg);
  const gz = tmp('in.simg.gz');
  await writeGzipped(gz, simg);
  const info = await detectImageFormat(gz);
  assert.deepEqual(info, {
    format: 'gzip',
    offset: 0,
    bytesRead: (await fs.stat(gz)).size,
    details: { method: 8, mtime: null, originalName: null },
  });

  const inspected = await inspectImage(gz);
  assert.equal(inspected.format, 'gzip');
  if (inspected.format !== 'gzip') return;
  assert.equal(inspected.size, (await fs.stat(gz)).size);
  assert.equal(inspected.inner?.format, 'squashfs');
  assert.equal(inspected.inner?.offset, 31);
  assert.equal(
    inspected.inner?.format === 'squashfs' && inspected.inner.details.complete,
    true,
    'the short stream ended, so its size is known',
  );

  const ext3 = tmp('in.img');
  await writeExt3(ext3, { launchScript: true, size: 4 * 1024 * 1024 });
  const ext3gz = tmp('in.img.gz');
  await writeGzipped(ext3gz, ext3);
  const inner = (await inspectImage(ext3gz)) as { inner?: { format: string; offset: number } | null };
  assert.deepEqual([inner.inner?.format, inner.inner?.offset], ['ext3', 31]);
});

test('gzip with a file name in its header, and a corrupt gzip stream', async () => {
  // FNAME flag (0x08) with "image.img\0", then a deflate stream from gzipSync
  const body = gzipSync(Buffer.from('hello'));
  const named = Buffer.concat([
    Buffer.from([0x1f, 0x8b, 8, 0x08, 0x10, 0, 0, 0, 0, 3]),
    Buffer.from('image.img\0', 'latin1'),
    body.subarray(10),
  ]);
  const file = tmp('named.gz');
  await fs.writeFile(file, named);
  const info = await detectImageFormat(file);
  assert.deepEqual(info.details, { method: 8, mtime: new Date(16 * 1000), originalName: 'image.img' });
  const inspected = (await inspectImage(file)) as { inner?: { format: string } | null };
  assert.equal(inspected.inner?.format, 'unknown', 'decompressed fine: "hello" is no image');

  const corrupt = tmp('corrupt.gz');
  await fs.writeFile(corrupt, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), Buffer.alloc(100, 0xff)]));
  assert.equal((await detectImageFormat(corrupt)).format, 'gzip');
  assert.equal(((await inspectImage(corrupt)) as { inner?: unknown }).inner, null);
});

test('directories are sandboxes when they have .singularity.d', async () => {
  const plain = tmp('folder');
  await fs.mkdir(plain);
  assert.deepEqual(await detectImageFormat(plain), { format: 'directory', offset: 0, bytesRead: 0, details: { singularityDir: false } });
  const sandbox = tmp('sandbox');
  await fs.mkdir(path.join(sandbox, '.singularity.d'), { recursive: true });
  const info = await inspectImage(sandbox);
  assert.deepEqual(info, { format: 'directory', offset: 0, bytesRead: 0, details: { singularityDir: true }, path: sandbox, size: null });
});

test('text, empty and half-launch-line files are unknown; missing paths are a UserError', async () => {
  const text = tmp('notes.txt');
  await fs.writeFile(text, 'Bootstrap: docker\nFrom: alpine\n');
  const a = await detectImageFormat(text);
  assert.deepEqual(a, { format: 'unknown', offset: 0, bytesRead: 31, details: { reason: 'not a SIF, squashfs, ext3 or gzip image' } });

  const empty = tmp('empty');
  await fs.writeFile(empty, '');
  assert.deepEqual((await detectImageFormat(empty)).details, { reason: 'the file is empty' });

  const half = tmp('half');
  await fs.writeFile(half, '#!/usr/bin/env run-singularity');
  assert.deepEqual((await detectImageFormat(half)).details, { reason: 'a run-singularity line that never ends' });

  const launchOnly = tmp('launch-only');
  await fs.writeFile(launchOnly, '#!/usr/bin/env run-singularity\nnot an fs');
  const c = await detectImageFormat(launchOnly);
  assert.equal(c.format, 'unknown');
  assert.equal(c.offset, 31);

  await assert.rejects(
    detectImageFormat(path.join(dir, 'missing.sif')),
    (error) => isUserError(error) && /does not exist/.test(error.message),
  );
  await assert.rejects(inspectImage(path.join(dir, 'missing.sif')), (error) => isUserError(error) && /does not exist/.test(error.message));
});

test('inspectImage gives the SifInfo for a SIF and format plus size for the rest', async () => {
  const sif = tmp('i.sif');
  await sampleSif(sif);
  const a = await inspectImage(sif);
  assert.equal(a.format, 'sif');
  assert.equal(a.format === 'sif' && a.header.arch, 'amd64');
  assert.equal(a.format === 'sif' && a.primaryPartition?.id, 3);

  const simg = tmp('i.simg');
  await writeSimg(simg);
  const b = await inspectImage(simg);
  assert.equal(b.format, 'squashfs');
  assert.deepEqual([b.size, b.path, b.offset], [31 + 4096, simg, 31]);

  const broken = tmp('broken.sif');
  await fs.writeFile(broken, (await fs.readFile(sif)).subarray(0, 1000));
  await assert.rejects(inspectImage(broken), (error) => isUserError(error) && /is not a valid SIF file/.test(error.message));
});
