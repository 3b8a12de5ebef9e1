// The download pipeline's stages are decoupled: bytes reach the file while the hashes lag behind (and the other way
// round), each through a bounded queue, and the digests stay exact whatever the batch sizes and ring wraps.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { fileDigests } from '../src/catalog/hash';
import { ByteRing, RING_COMMAND, RING_CONSUMER_SOURCE, RING_LAYOUT, RING_MIN_PIECE } from '../src/transfer/byte-ring';
import { DirectBody } from '../src/transfer/direct-get';
import { FILE_THREADS_MIN_BYTES, fileDigestsOnThreads, preferFileHashThreads } from '../src/transfer/file-hash-threads';
import { DiskWriteError, FileSink } from '../src/transfer/file-sink';
import { FileWriter, SYNC_EVERY_BYTES, WRITE_MAX_BYTES } from '../src/transfer/file-writer';
import { type Digests, WorkerHasher } from '../src/transfer/hasher';
import { downloadToFile } from '../src/transfer/index';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sreg-pipe-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => path.join(dir, `f-${++n}`);

/** Splits data into batches of odd sizes (1 byte to just over 1 MiB), like socket reads grouped by writev. */
function batches(data: Buffer, seed: number): Buffer[][] {
  const sizes = [1, 7, 4093, 65_536, 65_537, 300_001, 1_048_583];
  const out: Buffer[][] = [];
  let offset = 0;
  for (let i = seed; offset < data.length; i++) {
    const batch: Buffer[] = [];
    for (let k = 0; k <= i % 3 && offset < data.length; k++) {
      const size = Math.min(data.length - offset, sizes[(i * 5 + k) % sizes.length]!);
      batch.push(data.subarray(offset, offset + size));
      offset += size;
    }
    out.push(batch);
  }
  return out;
}

function expected(data: Buffer, md5: boolean): Digests {
  const out: Digests = { sha256: createHash('sha256').update(data).digest('hex') };
  if (md5) out.md5 = createHash('md5').update(data).digest('hex');
  return out;
}

/** A promise with its resolve, to hold a stage back and release it later. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

async function until(what: string, condition: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await delay(5);
  }
}

describe('WorkerHasher (one thread per digest, fed through a ring)', () => {
  // A ring just over one piece, so pieces wrap around its end at odd offsets.
  const ring = RING_MIN_PIECE + 4099;
  for (const size of [0, 1, 255 * 1024 + 3, 3 * 1024 * 1024 + 1, 9 * 1024 * 1024 + 7]) {
    test(`digests equal node:crypto's on ${size} random bytes`, async () => {
      const data = randomBytes(size);
      for (const names of [['sha256'], ['sha256', 'md5']] as const) {
        const hasher = new WorkerHasher([...names], ring);
        try {
          for (const batch of batches(data, size % 7)) await hasher.update(batch);
          assert.deepEqual(await hasher.digest(), expected(data, names.length === 2));
        } finally {
          hasher.close();
        }
      }
    });
  }

  test('a reset in the middle starts the digests over', async () => {
    const hasher = new WorkerHasher(['sha256', 'md5'], ring);
    const data = randomBytes(2 * 1024 * 1024 + 5);
    try {
      for (const batch of batches(randomBytes(700_001), 1)) await hasher.update(batch);
      await hasher.reset();
      for (const batch of batches(data, 2)) await hasher.update(batch);
      assert.deepEqual(await hasher.digest(), expected(data, true));
    } finally {
      hasher.close();
    }
  });
});

/**
 * A ring consumer on its own thread, as the hash threads are: it counts and sha256-hashes what it takes, answers
 * a digest command with the hex, holds every piece until `open()` when gated, and throws on its first piece when
 * told to fail (the test then reports that to the ring, as the hasher does).
 */
function consumer(ring: ByteRing, i: number, options: { gated?: boolean; fail?: boolean } = {}) {
  const gateWord = new Int32Array(new SharedArrayBuffer(4));
  const counter = new Int32Array(new SharedArrayBuffer(4));
  if (!options.gated) gateWord[0] = 1;
  const worker = new Worker(
    `${RING_CONSUMER_SOURCE}
const { parentPort, workerData } = require('node:worker_threads');
const hash = require('node:crypto').createHash('sha256');
const { control, buffer, slot, layout, gate, counter, fail } = workerData;
ringConsumer(new Int32Array(control), new Uint8Array(buffer), slot, layout, (piece) => {
  if (fail) throw new Error('boom');
  Atomics.wait(gate, 0, 0);
  hash.update(piece);
  Atomics.add(counter, 0, piece.length);
}, () => parentPort.postMessage(hash.digest('hex')));`,
    {
      eval: true,
      workerData: {
        control: ring.control,
        buffer: ring.buffer,
        slot: ring.slot(i),
        layout: RING_LAYOUT,
        gate: gateWord,
        counter,
        fail: options.fail === true,
      },
    },
  );
  worker.on('error', (error) => ring.fail(error));
  return {
    taken: () => Atomics.load(counter, 0),
    open: () => {
      Atomics.store(gateWord, 0, 1);
      Atomics.notify(gateWord, 0);
    },
    digest: () => new Promise<string>((resolve) => worker.once('message', resolve)),
    stop: () => worker.terminate(),
  };
}

describe('ByteRing', () => {
  test('a stalled consumer holds back neither the producer (until the ring is full) nor the other consumers', async () => {
    const size = 4 * RING_MIN_PIECE;
    const ring = new ByteRing(new SharedArrayBuffer(size), 2);
    const fast = consumer(ring, 0);
    const slow = consumer(ring, 1, { gated: true });
    try {
      await ring.push([Buffer.alloc(size - 1)]); // resolves: there is room, whatever the slow consumer does
      await until('the fast consumer to take everything', () => fast.taken() >= size - RING_MIN_PIECE);
      assert.equal(slow.taken(), 0);
      let pushed = false;
      const more = ring.push([Buffer.alloc(RING_MIN_PIECE)]).then(() => {
        pushed = true;
      });
      await delay(100);
      assert.equal(pushed, false, 'a full ring holds the producer back');
      slow.open();
      await more;
      await ring.drain();
      assert.equal(fast.taken(), size - 1 + RING_MIN_PIECE);
      assert.equal(slow.taken(), size - 1 + RING_MIN_PIECE);
    } finally {
      await Promise.all([fast.stop(), slow.stop()]);
    }
  });

  for (const [where, start] of [
    ['2^31 (the sign of an Int32)', 2 ** 31 - RING_MIN_PIECE - 5],
    ['2^32 (the Int32 wrap)', 2 ** 32 - 3 * RING_MIN_PIECE - 7],
  ] as const) {
    test(`stream positions across ${where} lose and repeat no byte`, async () => {
      // a ring of odd size, so pieces also wrap around its end at odd offsets
      const ring = new ByteRing(new SharedArrayBuffer(RING_MIN_PIECE + 4099), 2, start);
      const one = consumer(ring, 0);
      const two = consumer(ring, 1);
      const data = randomBytes(6 * RING_MIN_PIECE + 11);
      try {
        for (const batch of batches(data, 5)) await ring.push(batch);
        await ring.drain();
        const digests = Promise.all([one.digest(), two.digest()]);
        ring.command(RING_COMMAND.DIGEST);
        const want = expected(data, false).sha256;
        assert.deepEqual(await digests, [want, want]);
        assert.equal(one.taken(), data.length);
      } finally {
        await Promise.all([one.stop(), two.stop()]);
      }
    });
  }

  test('bytes read into the ring in place are published where they are, across its end; no copy may jump them', async () => {
    const size = RING_MIN_PIECE + 4099;
    const ring = new ByteRing(new SharedArrayBuffer(size), 1);
    const one = consumer(ring, 0);
    const data = randomBytes(5 * size + 17);
    try {
      let at = 0;
      for (let i = 0; at < data.length; i++) {
        // the socket's reads: as much as it is given room for, at most an odd amount
        if (ring.free() === 0) await ring.whenFree(1);
        const space = ring.space(Math.min(70_001 + i, data.length - at))!;
        assert.equal(space.buffer, ring.buffer, 'the ring hands out its own memory');
        data.copy(space, 0, at, at + space.length);
        ring.commit(space.length);
        // a copy now would land on the bytes read in place
        if (i === 0) await assert.rejects(ring.push([Buffer.alloc(1)]), /bytes wait in place/);
        await ring.push([space]);
        at += space.length;
      }
      // bytes committed but dropped are forgotten: the next copy goes to the head
      const dropped = ring.space(100)!;
      ring.commit(dropped.length);
      ring.release();
      const tail = randomBytes(1000);
      await ring.push([tail]);
      await ring.drain();
      const digest = one.digest();
      ring.command(RING_COMMAND.DIGEST);
      assert.equal(await digest, expected(Buffer.concat([data, tail]), false).sha256);
    } finally {
      await one.stop();
    }
  });

  test('a ring without consumers is a reused read buffer: room comes back as bytes are pushed, and a wait for it ends', async () => {
    const ring = new ByteRing(new SharedArrayBuffer(RING_MIN_PIECE), 0);
    const first = ring.space(RING_MIN_PIECE)!;
    ring.commit(first.length);
    assert.equal(ring.free(), 0, 'full while the bytes wait in place');
    let roomy = false;
    const waited = ring.whenFree(1000).then(() => {
      roomy = true;
    });
    await delay(20);
    assert.equal(roomy, false);
    await ring.push([first.subarray(0, 5000)]);
    await waited;
    assert.equal(ring.free(), 5000);
    await ring.push([first.subarray(5000)]);
    assert.equal(ring.free(), RING_MIN_PIECE);
    const again = ring.space(RING_MIN_PIECE)!;
    assert.equal(again.byteOffset, 0, 'the same memory, from its start');
  });

  test("a consumer's failure reaches the producer and drain()", async () => {
    const ring = new ByteRing(new SharedArrayBuffer(RING_MIN_PIECE), 1);
    const failing = consumer(ring, 0, { fail: true });
    try {
      await ring.push([Buffer.alloc(RING_MIN_PIECE)]);
      await assert.rejects(ring.drain(), /boom/);
      await assert.rejects(ring.push([Buffer.alloc(1)]), /boom/);
    } finally {
      await failing.stop();
    }
  });
});

describe('FileSink', () => {
  test('writes do not wait for the hashes: the file fills while the hash stage is stalled', async () => {
    const dest = file();
    // The hashing stage: a real ring (8 MiB) whose only consumer thread waits until released.
    let stage: ReturnType<typeof consumer> | undefined;
    const sink = await FileSink.open(dest, ['sha256'], () => {
      const ring = new ByteRing(new SharedArrayBuffer(8 * 1024 * 1024), 1);
      const held = consumer(ring, 0, { gated: true });
      stage = held;
      return {
        update: (chunks) => ring.push(chunks),
        drain: () => ring.drain(),
        reset: () => undefined,
        digest: async () => {
          await ring.drain();
          const hex = held.digest();
          ring.command(RING_COMMAND.DIGEST);
          return { sha256: await hex };
        },
        close: () => void held.stop(),
      };
    });
    const data = randomBytes(6 * 1024 * 1024 + 3);
    const writer = sink.writer();
    for (const batch of batches(data, 3)) for (const chunk of batch) writer.write(chunk);
    // the kernel has the bytes a moment before the write's completion is delivered, so wait for both; the hash
    // stage stays stalled throughout, which is the point
    await until(
      'the bytes to reach the file and be accepted',
      () => fs.statSync(dest).size === data.length && sink.position === data.length,
    );
    assert.equal(stage?.taken(), 0, 'nothing was hashed yet');
    stage?.open();
    writer.end();
    await new Promise((resolve) => writer.once('finish', resolve));
    assert.deepEqual(await sink.digests(), expected(data, false));
    await sink.finish();
    assert.ok(fs.readFileSync(dest).equals(data));
  });

  test('a download hashed on threads starts only the digests asked for', async () => {
    const data = randomBytes(17 * 1024 * 1024 + 9);
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': data.length });
      res.end(data);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
    let threads = 0;
    const count = () => {
      threads++;
    };
    process.on('worker', count);
    try {
      for (const [hashes, want] of [
        [['sha256'], 1],
        [['sha256', 'md5'], 2],
      ] as const) {
        threads = 0;
        const result = await downloadToFile({ url, dest: file(), hashes: [...hashes], hashInWorker: true });
        assert.equal(threads, want, `${hashes.join('+')}: ${threads} hash threads`);
        assert.deepEqual({ sha256: result.sha256, ...(result.md5 ? { md5: result.md5 } : {}) }, expected(data, want === 2));
      }
    } finally {
      process.off('worker', count);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('direct receive into the hash ring', () => {
  test('the socket reads into the ring: no copy, framing dropped, held back while the hash is a ring behind', async () => {
    // a chunked answer (node:http without a length), written in odd pieces so reads mix framing and data
    const data = randomBytes(3 * 1024 * 1024 + 333);
    const server = http.createServer((_req, res) => {
      void (async () => {
        for (const batch of batches(data, 1)) {
          for (const chunk of batch) res.write(chunk);
          await delay(1);
        }
        res.end();
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const ring = new ByteRing(new SharedArrayBuffer(2 * RING_MIN_PIECE + 777), 1);
    const slow = consumer(ring, 0, { gated: true });
    try {
      const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/img`);
      const { head, body } = await DirectBody.get(url, {}, { timeoutMs: 10_000 });
      assert.equal(head.status, 200);
      let taken = 0;
      let foreign = 0;
      const received = body.receive(async (chunks) => {
        for (const chunk of chunks) {
          if (chunk.buffer !== ring.buffer) foreign++;
          taken += chunk.length;
        }
        await ring.push(chunks);
      }, ring);
      await delay(300);
      assert.ok(taken > 0 && taken <= 2 * RING_MIN_PIECE + 777, `${taken} bytes taken while the hash is stalled`);
      slow.open();
      await received;
      assert.equal(taken, data.length);
      assert.equal(foreign, 0, 'every chunk was ring memory');
      await ring.drain();
      const digest = slow.digest();
      ring.command(RING_COMMAND.DIGEST);
      assert.equal(await digest, expected(data, false).sha256);
    } finally {
      await slow.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('FileWriter', () => {
  /** fs.writeSync, recording each write's size and position */
  function recording() {
    const writes: Array<{ length: number; position: number }> = [];
    const writeSync = (fd: number, buffer: Buffer, offset: number, length: number, position: number) => {
      writes.push({ length, position });
      return fs.writeSync(fd, buffer, offset, length, position);
    };
    return { writes, writeSync };
  }

  test(`writes land at once, at their positions, in pieces of at most ${WRITE_MAX_BYTES} bytes; the file is exact`, async () => {
    const dest = file();
    const handle = await fsp.open(dest, 'w');
    const { writes, writeSync } = recording();
    const writer = new FileWriter(handle, (error) => new DiskWriteError(dest, error), SYNC_EVERY_BYTES, writeSync);
    // batches of 1 byte to just over 1 MiB, so chunks are both whole and split
    const data = randomBytes(6 * 1024 * 1024 + 11);
    let position = 0;
    for (const batch of batches(data, 5)) {
      writer.write(batch, position);
      for (const chunk of batch) position += chunk.length;
      // synchronous: the file holds every byte given so far, before anything else runs
      assert.equal(fs.statSync(dest).size, position);
    }
    await handle.close();
    assert.ok(fs.readFileSync(dest).equals(data));
    assert.ok(Math.max(...writes.map((w) => w.length)) <= WRITE_MAX_BYTES, 'no write above the bound');
    assert.ok(
      writes.some((w) => w.length === WRITE_MAX_BYTES),
      'big chunks are written in whole pieces',
    );
    for (let i = 1; i < writes.length; i++) assert.equal(writes[i]!.position, writes[i - 1]!.position + writes[i - 1]!.length);
  });

  test('a short write goes on from where it stopped', async () => {
    const dest = file();
    const handle = await fsp.open(dest, 'w');
    // the disk takes at most 1000 bytes a call
    const writer = new FileWriter(
      handle,
      (error) => new DiskWriteError(dest, error),
      SYNC_EVERY_BYTES,
      (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, Math.min(length, 1000), position),
    );
    const data = randomBytes(70_001);
    writer.write([data.subarray(0, 5), data.subarray(5)], 0);
    await handle.close();
    assert.ok(fs.readFileSync(dest).equals(data));
  });

  test('the file is synced in the background as it grows, one sync at a time; a failed sync fails no write', async () => {
    const dest = file();
    const real = await fsp.open(dest, 'w');
    const held = gate();
    let syncs = 0;
    let running = 0;
    let most = 0;
    const handle = {
      fd: real.fd,
      datasync: async () => {
        syncs++;
        running++;
        most = Math.max(most, running);
        // the first sync hangs until released: the writes must go on meanwhile
        if (syncs === 1) await held.opened;
        running--;
        if (syncs === 2) throw Object.assign(new Error('sync failed'), { code: 'EIO' });
        await real.datasync();
      },
    };
    const MiB = 1024 * 1024;
    const writer = new FileWriter(handle, (error) => new DiskWriteError(dest, error), MiB);
    const data = randomBytes(6 * MiB + 5);
    let position = 0;
    for (const batch of batches(data, 3)) {
      writer.write(batch, position);
      for (const chunk of batch) position += chunk.length;
    }
    assert.equal(syncs, 1, 'no second sync while the first one runs');
    held.open();
    await delay(20);
    // more bytes after the first sync ended start the next ones
    for (const batch of batches(randomBytes(3 * MiB), 3)) {
      writer.write(batch, position);
      for (const chunk of batch) position += chunk.length;
      await delay(1);
    }
    await delay(20);
    assert.ok(syncs >= 2, `${syncs} syncs`);
    assert.equal(most, 1, 'one sync in flight at most');
    writer.check();
    await real.close();
    assert.equal(fs.statSync(dest).size, position);
    assert.ok(fs.readFileSync(dest).subarray(0, data.length).equals(data));
  });

  test('a failed write throws the wrapped error, and so does every later write and check()', () => {
    let calls = 0;
    const writer = new FileWriter(
      { fd: -1, datasync: async () => undefined },
      (error) => new DiskWriteError('/x', error),
      SYNC_EVERY_BYTES,
      () => {
        calls++;
        throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
      },
    );
    assert.throws(
      () => writer.write([Buffer.alloc(10)], 0),
      (error: unknown) => error instanceof DiskWriteError && error.code === 'ENOSPC',
    );
    assert.throws(() => writer.write([Buffer.alloc(10)], 10), DiskWriteError);
    assert.throws(() => writer.check(), DiskWriteError);
    assert.equal(calls, 1, 'nothing is written after the failure');
  });
});

describe('fileDigests', () => {
  test('small and big files give node:crypto digests', async () => {
    for (const size of [5, 17 * 1024 * 1024 + 3]) {
      const data = randomBytes(size);
      const path = file();
      fs.writeFileSync(path, data);
      assert.deepEqual(await fileDigests(path, ['md5', 'sha256']), { ...expected(data, true), size });
      assert.deepEqual(await fileDigests(path), { ...expected(data, false), size });
    }
  });

  test('a big file hashed on threads: one thread for all its digests, one digest on a thread too; a missing file and an abort reject', async () => {
    const data = randomBytes(FILE_THREADS_MIN_BYTES + 5);
    const path = file();
    fs.writeFileSync(path, data);
    let threads = 0;
    const count = () => {
      threads++;
    };
    process.on('worker', count);
    try {
      assert.deepEqual(await fileDigests(path, ['md5', 'sha256']), { ...expected(data, true), size: data.length });
      assert.equal(threads, preferFileHashThreads(data.length, ['md5', 'sha256']) ? 1 : 0);
      threads = 0;
      assert.deepEqual(await fileDigests(path, ['sha256']), { ...expected(data, false), size: data.length });
      assert.equal(threads, preferFileHashThreads(data.length, ['sha256']) ? 1 : 0, 'one digest on one thread');
      assert.equal(preferFileHashThreads(FILE_THREADS_MIN_BYTES, ['sha256'], 2), true, 'two CPUs: a thread for one digest');
      assert.equal(preferFileHashThreads(FILE_THREADS_MIN_BYTES, ['sha256'], 1), false, 'one CPU: inline');
      assert.equal(preferFileHashThreads(FILE_THREADS_MIN_BYTES - 1, ['sha256', 'md5'], 2), false, 'a small file: inline');
    } finally {
      process.off('worker', count);
    }
    await assert.rejects(fileDigestsOnThreads(`${path}.missing`, ['sha256', 'md5']), { code: 'ENOENT' });
    const controller = new AbortController();
    const running = fileDigestsOnThreads(path, ['sha256', 'md5'], controller.signal);
    controller.abort();
    await assert.rejects(running, { name: 'AbortError' });
  });
});
