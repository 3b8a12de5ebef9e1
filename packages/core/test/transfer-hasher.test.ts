import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import { HashWorkerError, InlineHasher, PARALLEL_HASH_MIN_BYTES, preferWorkerHashing, WorkerHasher } from '../src/transfer/hasher';

const expected = (data: Buffer) => ({
  sha256: createHash('sha256').update(data).digest('hex'),
  md5: createHash('md5').update(data).digest('hex'),
});

/** Random batch sizes, crossing the 1 MiB slot boundary and exceeding the slots in flight. */
function batches(data: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  let offset = 0;
  let i = 0;
  while (offset < data.length) {
    const batch: Buffer[] = [];
    for (let k = 0; k < 1 + (i % 4) && offset < data.length; k++) {
      const size = Math.min(data.length - offset, [1, 65_536, 1_048_577, 300_000][(i + k) % 4]!);
      batch.push(data.subarray(offset, offset + size));
      offset += size;
    }
    out.push(batch);
    i++;
  }
  return out;
}

describe('hashers', () => {
  const data = randomBytes(12 * 1024 * 1024 + 17);
  for (const [name, make] of [
    ['inline', () => new InlineHasher(['sha256', 'md5'])],
    ['worker', () => new WorkerHasher(['sha256', 'md5'])],
  ] as const) {
    test(`${name}: digests equal crypto's over the same bytes, also after a reset`, async () => {
      const hasher = make();
      try {
        for (const batch of batches(randomBytes(3 * 1024 * 1024))) await hasher.update(batch);
        await hasher.reset();
        for (const batch of batches(data)) await hasher.update(batch);
        assert.deepEqual(await hasher.digest(), expected(data));
      } finally {
        hasher.close();
      }
    });
  }

  test('a hash thread that dies fails the waiting update and the digest with HashWorkerError instead of hanging', {
    timeout: 20_000,
  }, async () => {
    const threads: Worker[] = [];
    const grab = (worker: Worker) => threads.push(worker);
    process.on('worker', grab);
    const hasher = new WorkerHasher(['sha256', 'md5']);
    try {
      await hasher.update([randomBytes(1024)]);
      // process emits 'worker' once a thread has started
      for (let i = 0; i < 400 && threads.length < 2; i++) await delay(5);
      assert.equal(threads.length, 2);
      await threads[1]!.terminate();
      // the dead thread never takes its bytes: once the ring (4 MiB) is full, the update must end with the failure
      await assert.rejects(async () => {
        for (let i = 0; i < 16; i++) await hasher.update([Buffer.alloc(1024 * 1024)]);
      }, HashWorkerError);
      await assert.rejects(hasher.digest(), HashWorkerError);
    } finally {
      process.off('worker', grab);
      hasher.close();
    }
  });

  test('sha256 only when md5 is not asked', async () => {
    const hasher = new WorkerHasher(['sha256']);
    try {
      await hasher.update([Buffer.from('abc')]);
      assert.deepEqual(await hasher.digest(), { sha256: createHash('sha256').update('abc').digest('hex') });
    } finally {
      hasher.close();
    }
  });
});

describe('preferWorkerHashing', () => {
  test('big or unknown sizes on machines with cores to spare', () => {
    assert.equal(preferWorkerHashing(PARALLEL_HASH_MIN_BYTES, 8), true);
    assert.equal(preferWorkerHashing(undefined, 8), true);
    assert.equal(preferWorkerHashing(PARALLEL_HASH_MIN_BYTES - 1, 8), false);
    assert.equal(preferWorkerHashing(10 * PARALLEL_HASH_MIN_BYTES, 2), true);
    assert.equal(preferWorkerHashing(10 * PARALLEL_HASH_MIN_BYTES, 1), false);
  });
});
