// Digests computed while bytes stream. Hashing on the main thread costs about as much CPU as receiving the
// bytes, so for big files every digest runs on its own worker thread (md5 and sha256 are sequential functions
// that do not get faster together: one after the other on one thread, the slower md5 held the sha256 back).
// The bytes reach the threads through a ByteRing: one copy into shared memory, read there by every thread. Memory
// is the ring's size, flat in the file's.
import { createHash, type Hash } from 'node:crypto';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { ByteRing, type RingConsumer } from './byte-ring';
import type { HashName } from './types';

export type Digests = { sha256: string; md5?: string };

export interface Hasher {
  /** hashes the chunks in order; resolves when the caller may send more */
  update(chunks: Buffer[]): Promise<void> | void;
  /** starts over (a restarted download) */
  reset(): Promise<void> | void;
  digest(): Promise<Digests>;
  close(): void;
}

/** Files at least this big (or of unknown size) are hashed on a worker thread, when the machine has cores to spare. */
export const PARALLEL_HASH_MIN_BYTES = 16 * 1024 * 1024;
/**
 * The worker pays off as soon as there is a second core: receiving and hashing then overlap. Measured with
 * bench/run.sh on 2 vCPUs (512 MiB pull, server on the same machine): 2.5x curl with the worker against
 * 3.5x inline. On one core it only adds a copy and a thread.
 */
export const PARALLEL_HASH_MIN_CPUS = 2;

/** Whether a download of `total` bytes (undefined: unknown) should hash on a worker thread. */
export function preferWorkerHashing(total: number | undefined, cpus = os.availableParallelism()): boolean {
  return cpus >= PARALLEL_HASH_MIN_CPUS && (total === undefined || total >= PARALLEL_HASH_MIN_BYTES);
}
/**
 * Bytes in flight between the stream and the slowest hash: 4 MiB is ~8 ms of md5 at 500 MiB/s, slack for the
 * threads' scheduling. 2, 4 and 8 MiB (with the same write queue) could not be told apart on a 512 MiB pull
 * (CPU seconds, 3 interleaved rounds); the smaller ring keeps peak RSS lower.
 */
export const RING_BYTES = 4 * 1024 * 1024;

function toDigests(names: HashName[], hex: string[]): Digests {
  const out: Digests = { sha256: '' };
  names.forEach((name, i) => {
    out[name] = hex[i]!;
  });
  return out;
}

export class InlineHasher implements Hasher {
  private hashes: Hash[];
  constructor(private readonly names: HashName[]) {
    this.hashes = names.map((name) => createHash(name));
  }
  update(chunks: Buffer[]): void {
    for (const hash of this.hashes) for (const chunk of chunks) hash.update(chunk);
  }
  reset(): void {
    this.hashes = this.names.map((name) => createHash(name));
  }
  async digest(): Promise<Digests> {
    return toDigests(
      this.names,
      this.hashes.map((hash) => hash.digest('hex')),
    );
  }
  close(): void {}
}

/** A worker that failed: a bug or an exhausted machine, never a network problem. */
export class HashWorkerError extends Error {
  constructor(cause: unknown) {
    super(`the hashing thread failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'HashWorkerError';
  }
}

// Plain CommonJS run with `eval`, so it works the same from the TypeScript sources and from dist/. One digest
// per thread; every message gets exactly one answer, in order.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const bytes = new Uint8Array(workerData.buffer);
let hash = createHash(workerData.name);
parentPort.on('message', (message) => {
  if (message.type === 'data') {
    hash.update(bytes.subarray(message.offset, message.offset + message.length));
    parentPort.postMessage(0);
  } else if (message.type === 'reset') {
    hash = createHash(workerData.name);
    parentPort.postMessage(0);
  } else if (message.type === 'digest') {
    parentPort.postMessage(hash.digest('hex'));
  }
});
`;

/** One digest computed on its own thread over the bytes of a shared ring. */
export class HashThread implements RingConsumer {
  private readonly worker: Worker;
  private readonly replies: Array<{ resolve: (value: unknown) => void; reject: (error: Error) => void }> = [];
  private failure?: HashWorkerError;
  private closed = false;

  constructor(
    readonly name: HashName,
    buffer: SharedArrayBuffer,
  ) {
    // Small heaps: the thread only hashes bytes that live outside its heap.
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { name, buffer },
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
    });
    this.worker.on('message', (value: unknown) => this.replies.shift()?.resolve(value));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`exited with code ${code}`));
    });
  }

  private fail(cause: unknown): void {
    this.failure ??= new HashWorkerError(cause);
    for (const reply of this.replies.splice(0)) reply.reject(this.failure);
  }

  private ask(message: object): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.replies.push({ resolve, reject });
      this.worker.postMessage(message);
    });
  }

  async consume(offset: number, length: number): Promise<void> {
    await this.ask({ type: 'data', offset, length });
  }

  async reset(): Promise<void> {
    await this.ask({ type: 'reset' });
  }

  async digest(): Promise<string> {
    return String(await this.ask({ type: 'digest' }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('closed'));
    void this.worker.terminate();
  }
}

/** Every digest on its own thread, fed through one ring: the stream waits for none of them unless the ring is full. */
export class WorkerHasher implements Hasher {
  private readonly threads: HashThread[];
  private readonly ring: ByteRing;

  constructor(
    private readonly names: HashName[],
    bytes = RING_BYTES,
  ) {
    const buffer = new SharedArrayBuffer(bytes);
    this.threads = names.map((name) => new HashThread(name, buffer));
    this.ring = new ByteRing(buffer, this.threads);
  }

  /** Resolves once the chunks are in the ring: the hashing goes on behind. */
  update(chunks: Buffer[]): Promise<void> {
    return this.ring.push(chunks);
  }

  /** Resolves when every byte so far has been handled by every consumer. */
  drain(): Promise<void> {
    return this.ring.drain();
  }

  async reset(): Promise<void> {
    await this.ring.drain();
    await Promise.all(this.threads.map((thread) => thread.reset()));
    this.ring.rewind();
  }

  async digest(): Promise<Digests> {
    await this.ring.drain();
    return toDigests(this.names, await Promise.all(this.threads.map((thread) => thread.digest())));
  }

  /** Stops handing out bytes and waits for the pieces in progress. */
  async stop(): Promise<void> {
    await this.ring.stop();
  }

  close(): void {
    void this.ring.stop();
    for (const thread of this.threads) thread.close();
  }
}
