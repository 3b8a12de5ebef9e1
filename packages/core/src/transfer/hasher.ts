// Digests computed while bytes stream. Hashing on the main thread costs about as much CPU as receiving the
// bytes, so for big files every digest runs on its own worker thread (md5 and sha256 are sequential functions
// that do not get faster together: one after the other on one thread, the slower md5 held the sha256 back).
// The bytes reach the threads through a ByteRing: read into its shared memory by the socket, or copied there
// once, and read there by every thread. Memory
// is the ring's size, flat in the file's.
import { createHash, type Hash } from 'node:crypto';
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { ByteRing, RING_COMMAND, RING_CONSUMER_SOURCE, RING_LAYOUT } from './byte-ring';
import type { ReadBuffers } from './direct-get';
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

// Plain CommonJS run with `eval`, so it works the same from the TypeScript sources and from dist/. The thread
// hashes the ring's pieces as ringConsumer (byte-ring.ts) hands them over, and answers each command with one
// message: the hex digests, or 0 for a reset. It blocks in Atomics.wait while it has nothing to hash (terminate()
// interrupts that wait).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
${RING_CONSUMER_SOURCE}
const { names, buffer, control, slot, layout, commands } = workerData;
let hashes = names.map((name) => createHash(name));
ringConsumer(new Int32Array(control), new Uint8Array(buffer), slot, layout, (piece) => {
  for (const hash of hashes) hash.update(piece);
}, (command) => {
  if (command === commands.DIGEST) {
    parentPort.postMessage(hashes.map((hash) => hash.digest('hex')));
  } else {
    hashes = names.map((name) => createHash(name));
    parentPort.postMessage(0);
  }
});
`;

/** One thread hashing the ring's bytes with one or more digests. */
class HashThread {
  private readonly worker: Worker;
  private readonly replies: Array<{ resolve: (value: unknown) => void; reject: (error: Error) => void }> = [];
  private failure?: HashWorkerError;
  private closed = false;

  constructor(
    readonly names: HashName[],
    ring: ByteRing,
    slot: number,
  ) {
    // Small heaps: the thread only hashes bytes that live outside its heap.
    // loaded here: a small download hashes inline and never needs it (a few ms of its start)
    const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { names, buffer: ring.buffer, control: ring.control, slot, layout: RING_LAYOUT, commands: RING_COMMAND },
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
    });
    this.worker.on('message', (value: unknown) => this.replies.shift()?.resolve(value));
    this.worker.on('error', (error) => {
      this.fail(error);
      ring.fail(this.failure);
    });
    this.worker.on('exit', (code) => {
      if (this.closed) return;
      this.fail(new Error(`exited with code ${code}`));
      ring.fail(this.failure);
    });
  }

  private fail(cause: unknown): void {
    this.failure ??= new HashWorkerError(cause);
    for (const reply of this.replies.splice(0)) reply.reject(this.failure);
  }

  /** The answer to the command just given through the ring. */
  answer(): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.replies.push({ resolve, reject }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('closed'));
    void this.worker.terminate();
  }
}

/**
 * The digests on threads fed through one ring: the stream waits for none of them unless the ring is full.
 * `threads` says which digests share a thread (default: one thread per digest).
 */
export class WorkerHasher implements Hasher {
  private readonly threads: HashThread[];
  private readonly ring: ByteRing;

  constructor(
    private readonly names: HashName[],
    bytes = RING_BYTES,
    threads: HashName[][] = names.map((name) => [name]),
  ) {
    this.ring = new ByteRing(new SharedArrayBuffer(bytes), threads.length);
    this.threads = threads.map((group, i) => new HashThread(group, this.ring, this.ring.slot(i)));
  }

  /** Resolves once the chunks are in the ring: the hashing goes on behind. */
  update(chunks: Buffer[]): Promise<void> {
    return this.ring.push(chunks);
  }

  /** The ring's memory, for the socket to read into (ring chunks given to `update` are then not copied). */
  readBuffers(): ReadBuffers {
    return this.ring;
  }

  /** Resolves when every byte so far has been handled by every thread. */
  drain(): Promise<void> {
    return this.ring.drain();
  }

  async reset(): Promise<void> {
    await this.ring.drain();
    const answers = this.threads.map((thread) => thread.answer());
    this.ring.command(RING_COMMAND.RESET);
    await Promise.all(answers);
  }

  async digest(): Promise<Digests> {
    await this.ring.drain();
    const answers = this.threads.map((thread) => thread.answer());
    this.ring.command(RING_COMMAND.DIGEST);
    const hex = new Map<HashName, string>();
    const answered = await Promise.all(answers);
    this.threads.forEach((thread, i) => {
      thread.names.forEach((name, k) => {
        hex.set(name, String((answered[i] as string[])[k]));
      });
    });
    return toDigests(
      this.names,
      this.names.map((name) => hex.get(name)!),
    );
  }

  /** Hands out no more bytes (a download that failed). */
  async stop(): Promise<void> {
    this.ring.stop();
  }

  close(): void {
    this.ring.stop();
    for (const thread of this.threads) thread.close();
  }
}
