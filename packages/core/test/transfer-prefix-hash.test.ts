// FilePrefixHasher (transfer/file-prefix-hash.ts): the digests of a file whose parts land out of order, hashed by
// threads that read the completed prefix through the writer's own descriptor.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FilePrefixHasher } from '../src/transfer/file-prefix-hash';
import { FileSink } from '../src/transfer/file-sink';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-prefix-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const hex = (name: string, data: Buffer) => createHash(name).update(data).digest('hex');

test('parts written out of order are hashed in order as the prefix completes: md5 and sha256 of the whole file', async (t) => {
  const file = path.join(tempDir(t), 'parts.bin');
  const data = randomBytes(3 * 1024 * 1024 + 12345);
  const fd = fs.openSync(file, 'w+');
  const hasher = new FilePrefixHasher(fd, ['sha256', 'md5']);
  try {
    const part = 1024 * 1024;
    const ends = [part, 2 * part, 3 * part, data.length];
    // part 2 first, then 1 and 3 together, then the tail: the prefix grows only when its parts are all there
    fs.writeSync(fd, data, part, part, part);
    fs.writeSync(fd, data, 0, part, 0);
    await hasher.hashTo(ends[1]!);
    fs.writeSync(fd, data, 3 * part, data.length - 3 * part, 3 * part);
    fs.writeSync(fd, data, 2 * part, part, 2 * part);
    await hasher.hashTo(ends[3]!);
    assert.deepEqual(await hasher.digest(), { sha256: hex('sha256', data), md5: hex('md5', data) });
  } finally {
    await hasher.close();
    fs.closeSync(fd);
  }
});

test('a prefix the file does not hold yet fails the hashing in one error, and close still ends the threads', async (t) => {
  const file = path.join(tempDir(t), 'short.bin');
  fs.writeFileSync(file, Buffer.alloc(1000));
  const fd = fs.openSync(file, 'r');
  const hasher = new FilePrefixHasher(fd, ['sha256']);
  try {
    await assert.rejects(hasher.hashTo(5000), /shorter than the bytes written/);
    await assert.rejects(hasher.digest(), /shorter than the bytes written/);
  } finally {
    await hasher.close();
    fs.closeSync(fd);
  }
});

test('FileSink on threads: writeAt out of order, hashFile in order, the head seen once, the digests of the file', async (t) => {
  const dest = path.join(tempDir(t), 'sink.bin');
  const data = randomBytes(2 * 1024 * 1024 + 7);
  const sink = await FileSink.open(dest, ['sha256']);
  sink.parallel = true;
  const half = 1024 * 1024;
  sink.writeAt([data.subarray(half)], half);
  sink.writeAt([data.subarray(0, half)], 0);
  const heads: number[] = [];
  await sink.hashFile(half, (bytes, at) => {
    heads.push(at);
    assert.deepEqual(bytes, data.subarray(0, bytes.length));
  });
  await sink.hashFile(data.length);
  assert.equal(sink.position, data.length);
  assert.deepEqual(heads, [0]);
  assert.deepEqual(await sink.digests(), { sha256: hex('sha256', data) });
  await sink.finish();
  assert.equal(hex('sha256', fs.readFileSync(dest)), hex('sha256', data));
});
