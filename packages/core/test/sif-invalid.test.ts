import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { sampleSif } from '../../testkit/src/sif-writer';
import { isUserError, type UserError } from '../src/errors';
import { readSif } from '../src/sif/index';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sif-invalid-'));
after(() => fs.rm(dir, { recursive: true, force: true }));
let n = 0;
const tmp = (name = 'x.sif') => path.join(dir, `${n++}-${name}`);

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function assertInvalid(file: string, why: RegExp): Promise<UserError> {
  let caught: unknown;
  await assert.rejects(readSif(file), (error) => {
    caught = error;
    return true;
  });
  assert.ok(isUserError(caught), `expected a UserError, got ${caught}`);
  const error = caught as UserError;
  assert.match(error.message, new RegExp(`^${escapeRegExp(file)} is not a valid SIF file: `));
  assert.match(error.message, why);
  assert.equal(error.fix, 'build the image again, or, if it was downloaded, pull it again with --force');
  return error;
}

/** A valid sample SIF's bytes, to be damaged by each test. */
async function sampleBytes(): Promise<Buffer> {
  const file = tmp();
  await sampleSif(file, { signatures: [{ data: 'sig' }] });
  return fs.readFile(file);
}

async function writeBytes(bytes: Buffer): Promise<string> {
  const file = tmp();
  await fs.writeFile(file, bytes);
  return file;
}

test('a zero-length file is refused', async () => {
  await assertInvalid(await writeBytes(Buffer.alloc(0)), /the file is empty/);
});

test('a file shorter than the header is refused', async () => {
  const bytes = await sampleBytes();
  await assertInvalid(await writeBytes(bytes.subarray(0, 100)), /100 bytes, shorter than the 128-byte SIF header/);
});

test('garbage and text files have no SIF magic', async () => {
  let seed = 42;
  const random = Buffer.alloc(64 * 1024);
  for (let i = 0; i < random.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    random[i] = seed & 0xff;
  }
  await assertInvalid(await writeBytes(random), /no SIF_MAGIC at offset 32/);
  await assertInvalid(await writeBytes(Buffer.from('Bootstrap: docker\nFrom: alpine\n'.repeat(20))), /no SIF_MAGIC/);
});

test('a SIF version other than 01 is refused', async () => {
  const bytes = await sampleBytes();
  bytes.write('02', 42, 'latin1');
  await assertInvalid(await writeBytes(bytes), /unsupported SIF version "02" \(only "01" is supported\)/);
});

test('a download cut short anywhere is refused, never a crash', async () => {
  const bytes = await sampleBytes();
  const cuts: Array<[number, RegExp]> = [
    [200, /descriptor table ends at byte 32176 but the file has only 200 bytes \(truncated\?\)/],
    [4096 + 585 * 3, /descriptor table ends/],
    [32176, /data area ends at byte \d+ but the file has only 32176 bytes/],
    [bytes.length - 1, /data area ends at byte \d+ but the file has only \d+ bytes/],
  ];
  for (const [length, why] of cuts) await assertInvalid(await writeBytes(bytes.subarray(0, length)), why);
});

test('absurd or impossible header values are refused', async () => {
  const cases: Array<[string, (b: Buffer) => void, RegExp]> = [
    ['huge descriptor count', (b) => b.writeBigInt64LE(1n << 40n, 88), /claims 1099511627776 descriptors \(at most 16384/],
    ['negative descriptor count', (b) => b.writeBigInt64LE(-1n, 88), /"descriptorsTotal" holds an impossible value/],
    ['more free than total', (b) => b.writeBigInt64LE(49n, 80), /claims 49 free descriptors out of 48/],
    ['table over the header', (b) => b.writeBigInt64LE(64n, 96), /descriptor table at offset 64 overlaps the header/],
    ['table past the end', (b) => b.writeBigInt64LE(1n << 30n, 96), /descriptor table ends at byte/],
    ['unsafe data size', (b) => b.writeBigInt64LE(0x7fffffffffffffffn, 120), /"dataSize" holds an impossible value/],
    ['data past the end', (b) => b.writeBigInt64LE(1n << 33n, 112), /data area ends at byte/],
  ];
  for (const [name, damage, why] of cases) {
    const bytes = await sampleBytes();
    damage(bytes);
    await assertInvalid(await writeBytes(bytes), why).catch((error) => {
      throw new Error(`${name}: ${error.message}`);
    });
  }
});

test('a descriptor pointing outside the file is refused', async () => {
  const table = 4096;
  const cases: Array<[string, (b: Buffer) => void, RegExp]> = [
    [
      'offset past the end',
      (b) => b.writeBigInt64LE(1n << 32n, table + 17),
      /descriptor 1 \(object id 1\) ends at byte 4294967543 but the file has only/,
    ],
    ['size past the end', (b) => b.writeBigInt64LE(1n << 32n, table + 585 * 2 + 25), /descriptor 3 \(object id 3\) ends at byte/],
    ['negative size', (b) => b.writeBigInt64LE(-5n, table + 585 + 25), /descriptor 2 \(object id 2\) has an impossible size/],
    ['negative offset', (b) => b.writeBigInt64LE(-1n, table + 585 * 3 + 17), /descriptor 4 \(object id 4\) has an impossible offset/],
  ];
  for (const [name, damage, why] of cases) {
    const bytes = await sampleBytes();
    damage(bytes);
    await assertInvalid(await writeBytes(bytes), why).catch((error) => {
      throw new Error(`${name}: ${error.message}`);
    });
  }
});

test('random damage to the header and table gives a result or a UserError, never another error', async () => {
  const original = await sampleBytes();
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  let refused = 0;
  for (let i = 0; i < 300; i++) {
    const bytes = Buffer.from(original);
    for (let flips = 1 + (next() % 4); flips > 0; flips--) {
      // aim at the header, the used descriptors, and the first object bytes
      const at = next() % 3 === 0 ? next() % 128 : 4096 + (next() % (585 * 4));
      bytes[at] = next() & 0xff;
    }
    const file = await writeBytes(bytes);
    try {
      await readSif(file);
    } catch (error) {
      assert.ok(isUserError(error), `iteration ${i}: ${(error as Error).stack}`);
      refused++;
    }
    await fs.rm(file);
  }
  assert.ok(refused > 0, 'some damage must be detected');
});

test('a missing file or a folder is a UserError too', async () => {
  const missing = path.join(dir, 'nope.sif');
  await assert.rejects(readSif(missing), (error) => isUserError(error) && /does not exist/.test(error.message));
  await assert.rejects(readSif(dir), (error) => isUserError(error) && /is a folder/.test(error.message));
});
