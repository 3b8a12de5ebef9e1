import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  fakeSquashfs,
  LAUNCH_SCRIPT,
  SAMPLE_ATTRIBUTES,
  SAMPLE_DEFFILE,
  SifDataType,
  sampleSif,
  writeExt3,
  writeGzipped,
  writeSif,
  writeSimg,
  writeSquashfs,
} from '../src/sif-writer';

// These tests check the bytes against hub-sif-library.md B.1–B.6 directly, without the reader in
// @sregistry/core, so a shared misunderstanding cannot pass unnoticed.

const dir = mkdtempSync(path.join(os.tmpdir(), 'sif-writer-'));
after(() => fs.rm(dir, { recursive: true, force: true }));
let n = 0;
const tmp = (name = 'x.sif') => path.join(dir, `${n++}-${name}`);

const DESC = 4096;
const slot = (bytes: Buffer, i: number) => bytes.subarray(DESC + i * 585, DESC + (i + 1) * 585);
const i64 = (bytes: Buffer, at: number) => Number(bytes.readBigInt64LE(at));
const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');

test('the header follows B.1', async () => {
  const file = tmp();
  const result = await sampleSif(file);
  const b = await fs.readFile(file);
  assert.equal(b.subarray(0, 31).toString('latin1'), '#!/usr/bin/env run-singularity\n');
  assert.equal(b[31], 0);
  assert.equal(b.subarray(32, 42).toString('latin1'), 'SIF_MAGIC\0');
  assert.equal(b.subarray(42, 45).toString('latin1'), '01\0');
  assert.equal(b.subarray(45, 48).toString('latin1'), '02\0', 'arch from the amd64 primary partition');
  assert.equal(b.subarray(48, 64).toString('hex'), '5f0c6b2e8d1a4c3f9e7b2a6d4f8c1b3e');
  assert.equal(i64(b, 64), 1704067200);
  assert.equal(i64(b, 72), 1704067200);
  assert.equal(i64(b, 80), 45, 'free = 48 - 3');
  assert.equal(i64(b, 88), 48);
  assert.equal(i64(b, 96), 4096);
  assert.equal(i64(b, 104), 28080);
  assert.equal(i64(b, 112), 32176);
  assert.equal(i64(b, 120), b.length - 32176, 'data size runs to the end of the last object');
  assert.ok(
    b.subarray(128, 4096).every((x) => x === 0),
    'zeros between header and table',
  );
  assert.equal(result.size, b.length);
  assert.equal(result.dataOffset, 32176);
});

test('descriptors follow B.2, B.5 and B.6: groups, links, alignment, extras', async () => {
  const file = tmp();
  await sampleSif(file, { signatures: [{ hashType: 1, fingerprint: '433FE984155206BD962725E20E8713472A879943', data: 'sig' }] });
  const b = await fs.readFile(file);

  const deffile = slot(b, 0);
  assert.equal(deffile.readInt32LE(0), 0x4001);
  assert.equal(deffile[4], 1, 'used');
  assert.equal(deffile.readUInt32LE(5), 1, 'id = slot + 1');
  assert.equal(deffile.readUInt32LE(9), 0xf0000001, 'group 1, stored with the 0xF0000000 flag');
  assert.equal(deffile.readUInt32LE(13), 0, 'no link');
  assert.equal(i64(deffile, 17), 32176, 'the first object starts the data area');
  assert.equal(i64(deffile, 25), Buffer.byteLength(SAMPLE_DEFFILE));
  assert.equal(i64(deffile, 33), Buffer.byteLength(SAMPLE_DEFFILE), 'no padding before an unaligned object');
  assert.equal(i64(deffile, 41), 1704067200);
  assert.equal(i64(deffile, 57) + i64(deffile, 65), 0, 'uid and gid are 0');
  assert.equal(b.subarray(32176, 32176 + Buffer.byteLength(SAMPLE_DEFFILE)).toString(), SAMPLE_DEFFILE);

  const json = slot(b, 1);
  assert.equal(json.readInt32LE(0), 0x4006);
  assert.equal(json.subarray(73, 73 + 22).toString('latin1'), 'inspect-metadata.json\0');
  const jsonOffset = i64(json, 17);
  assert.equal(jsonOffset, 32176 + Buffer.byteLength(SAMPLE_DEFFILE), 'objects follow each other');
  assert.deepEqual(JSON.parse(b.subarray(jsonOffset, jsonOffset + i64(json, 25)).toString()), {
    type: 'container',
    data: { attributes: SAMPLE_ATTRIBUTES },
  });

  const partition = slot(b, 2);
  assert.equal(partition.readInt32LE(0), 0x4004);
  assert.equal(partition.readUInt32LE(9), 0xf0000001);
  const pOffset = i64(partition, 17);
  assert.equal(pOffset % 4096, 0, 'partitions are aligned to 4096');
  assert.equal(pOffset, 36864);
  assert.equal(i64(partition, 33), 4096 + (pOffset - (jsonOffset + i64(json, 25))), 'the gap counts in size with padding');
  assert.equal(partition.subarray(201, 212).toString('hex'), '0100000002000000303200', 'B.5 example: squashfs, PrimSys, "02"');
  assert.ok(
    partition.subarray(212).every((x) => x === 0),
    'the rest of the extra is zero',
  );
  assert.equal(b.subarray(pOffset, pOffset + 4).toString('latin1'), 'hsqs');

  const signature = slot(b, 3);
  assert.equal(signature.readInt32LE(0), 0x4005);
  assert.equal(signature.readUInt32LE(9), 0xf0000000, 'signatures are in no group');
  assert.equal(signature.readUInt32LE(13), 0xf0000001, 'and linked to group 1');
  assert.equal(signature.readInt32LE(201), 1, 'SHA-256');
  assert.equal(signature.subarray(205, 225).toString('hex').toUpperCase(), '433FE984155206BD962725E20E8713472A879943');
  assert.ok(signature.subarray(225).every((x) => x === 0));
  assert.equal(i64(signature, 17), pOffset + 4096, 'a signature is not aligned');

  for (let i = 4; i < 48; i++)
    assert.ok(
      slot(b, i).every((x) => x === 0),
      `unused slot ${i} is all zeros`,
    );
});

test('same options, same bytes; a different option, different bytes', async () => {
  const a = tmp();
  const b = tmp();
  await sampleSif(a, { signatures: [{ data: 'x' }], partition: { data: { size: 3 * 1024 * 1024, fill: 7 } } });
  await sampleSif(b, { signatures: [{ data: 'x' }], partition: { data: { size: 3 * 1024 * 1024, fill: 7 } } });
  assert.equal(await sha256(a), await sha256(b));
  const c = tmp();
  await sampleSif(c, {
    signatures: [{ data: 'x' }],
    partition: { data: { size: 3 * 1024 * 1024, fill: 7 } },
    uuid: '00000000-0000-0000-0000-000000000001',
  });
  assert.notEqual(await sha256(a), await sha256(c));
  // writing over an existing, longer file leaves nothing of it behind
  await fs.writeFile(a, Buffer.alloc(10 * 1024 * 1024, 0xee));
  await sampleSif(a, { signatures: [{ data: 'x' }], partition: { data: { size: 3 * 1024 * 1024, fill: 7 } } });
  assert.equal(await sha256(a), await sha256(b));
});

test('fill partitions are streamed; a 1 GiB fixture needs neither 1 GiB of memory nor of disk', async () => {
  const filled = tmp();
  const size = 64 * 1024 * 1024 + 5;
  const result = await writeSif(filled, { partition: { data: { size, fill: 0x5a } } });
  const p = result.objects[0];
  const handle = await fs.open(filled, 'r');
  try {
    for (const at of [p.offset, p.offset + size / 2, p.offset + size - 1]) {
      const one = Buffer.alloc(1);
      await handle.read(one, 0, 1, Math.floor(at));
      assert.equal(one[0], 0x5a, `byte at ${at}`);
    }
    assert.equal((await handle.stat()).size, p.offset + size);
  } finally {
    await handle.close();
  }

  const big = tmp();
  const rssBefore = process.memoryUsage().rss;
  const gib = 1024 * 1024 * 1024;
  const bigResult = await writeSif(big, { deffile: 'Bootstrap: scratch\n', partition: { data: { size: gib } } });
  const stat = await fs.stat(big);
  assert.equal(stat.size, bigResult.objects[1].offset + gib);
  assert.ok(process.memoryUsage().rss - rssBefore < 256 * 1024 * 1024, 'memory stayed far below 1 GiB');
  assert.ok(stat.blocks * 512 < 64 * 1024 * 1024, 'the zero partition is a hole, not written');
});

test('inspectMetadata: bare attributes are wrapped; full documents and strings are written as given', async () => {
  const read = async (metadata: object | string) => {
    const file = tmp();
    const result = await writeSif(file, { inspectMetadata: metadata });
    const o = result.objects[0];
    return (await fs.readFile(file)).subarray(o.offset, o.offset + o.size).toString();
  };
  assert.equal(await read({ labels: { a: 'b' } }), '{"type":"container","data":{"attributes":{"labels":{"a":"b"}}}}');
  assert.equal(await read({ data: { attributes: {} } }), '{"data":{"attributes":{}}}');
  assert.equal(await read('{not json'), '{not json');
});

test('times: Date, seconds, and null for Go zero time', async () => {
  const file = tmp();
  await writeSif(file, { deffile: 'x', createdAt: new Date('2020-02-02T02:02:02.900Z'), modifiedAt: null });
  const b = await fs.readFile(file);
  assert.equal(i64(b, 64), 1580608922);
  assert.equal(b.subarray(72, 80).toString('hex'), '00096e88f1ffffff', 'Go zero time 0xFFFFFFF1886E0900');
  assert.equal(i64(slot(b, 0), 49), -62135596800);
});

test('header arch: 00 without a primary partition; an explicit arch wins; objects take given groups and links', async () => {
  const file = tmp();
  const result = await writeSif(file, {
    partition: { data: Buffer.alloc(10), partType: 3, arch: 'riscv64' },
    objects: [{ type: SifDataType.Generic, data: 'g', groupId: 0, link: { objectId: 1 }, align: 512 }],
    launchScript: '#!/bin/false\n',
  });
  const b = await fs.readFile(file);
  assert.equal(b.subarray(45, 47).toString('latin1'), '00');
  assert.equal(b.subarray(0, 14).toString('latin1'), '#!/bin/false\n\0');
  assert.equal(
    slot(b, 0)
      .subarray(201 + 8, 201 + 10)
      .toString('latin1'),
    '12',
  );
  assert.equal(slot(b, 1).readUInt32LE(9), 0xf0000000);
  assert.equal(slot(b, 1).readUInt32LE(13), 1);
  assert.equal(result.objects[1].offset % 512, 0);

  const explicit = tmp();
  await writeSif(explicit, { arch: 'arm64', launchScript: false });
  const e = await fs.readFile(explicit);
  assert.equal(e.subarray(45, 48).toString('latin1'), '04\0');
  assert.ok(e.subarray(0, 32).every((x) => x === 0));
  assert.equal(e.length, 32176);
});

test('the writer refuses what cannot be a valid SIF', async () => {
  await assert.rejects(writeSif(tmp(), { descriptorsTotal: 1, deffile: 'a', labels: {} }), /2 objects do not fit in 1 descriptor slots/);
  await assert.rejects(writeSif(tmp(), { launchScript: '#'.repeat(32) }), /shorter than 32 bytes/);
  await assert.rejects(writeSif(tmp(), { signatures: [{ fingerprint: 'abcd', data: 'x' }] }), /20 bytes/);
  await assert.rejects(writeSif(tmp(), { partition: { data: Buffer.alloc(1), arch: 'vax' } }), /unknown SIF architecture "vax"/);
  await assert.rejects(writeSif(tmp(), { uuid: 'nope' }), /not a UUID/);
  await assert.rejects(writeSif(tmp(), { objects: [{ type: 0x4007, data: 'x', name: 'n'.repeat(128) }] }), /object name too long/);
});

test('writeSimg and writeSquashfs: the launch line, then a squashfs 4.0 gzip superblock', async () => {
  const simg = tmp('a.simg');
  const result = await writeSimg(simg);
  const b = await fs.readFile(simg);
  assert.equal(result.offset, 31);
  assert.equal(b.subarray(0, 31).toString('latin1'), LAUNCH_SCRIPT);
  assert.equal(b.subarray(31, 35).toString('latin1'), 'hsqs');
  assert.equal(b.readUInt32LE(31), 0x73717368);
  assert.equal(b.readUInt16LE(31 + 20), 1, 'gzip');
  assert.deepEqual([b.readUInt16LE(31 + 28), b.readUInt16LE(31 + 30)], [4, 0]);
  assert.equal(b.readUInt32LE(31 + 12), 1 << b.readUInt16LE(31 + 22), 'block size matches block log');
  assert.equal(b.length, 31 + 4096);

  const custom = tmp('b.simg');
  await writeSimg(custom, Buffer.from('hsqs-custom'));
  assert.equal((await fs.readFile(custom)).subarray(31).toString(), 'hsqs-custom');

  const bare = tmp('c.sqfs');
  assert.equal((await writeSquashfs(bare)).offset, 0);
  assert.deepEqual(await fs.readFile(bare), fakeSquashfs());
});

test('writeExt3: 0xEF53 at fs offset 1080 with the has_journal bit', async () => {
  const plain = tmp('a.img');
  await writeExt3(plain);
  const a = await fs.readFile(plain);
  assert.deepEqual([...a.subarray(1080, 1082)], [0x53, 0xef]);
  assert.equal(a.readUInt32LE(1024 + 92) & 0x4, 0x4);

  const launched = tmp('b.img');
  assert.equal((await writeExt3(launched, { launchScript: true, hasJournal: false })).offset, 31);
  const b = await fs.readFile(launched);
  assert.equal(b.subarray(0, 31).toString('latin1'), LAUNCH_SCRIPT);
  assert.deepEqual([...b.subarray(1111, 1113)], [0x53, 0xef]);
  assert.equal(b.readUInt32LE(31 + 1024 + 92) & 0x4, 0);
});

test('writeGzipped: a deterministic gzip of the inner file', async () => {
  const inner = tmp('in.simg');
  await writeSimg(inner);
  const a = tmp('a.gz');
  const b = tmp('b.gz');
  await writeGzipped(a, inner);
  await writeGzipped(b, inner);
  const gz = await fs.readFile(a);
  assert.deepEqual([...gz.subarray(0, 3)], [0x1f, 0x8b, 8]);
  assert.deepEqual(gunzipSync(gz), await fs.readFile(inner));
  assert.equal(await sha256(a), await sha256(b));
});
