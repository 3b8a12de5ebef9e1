// Digests computed while a download streams. Hashing on the main thread costs about as much CPU as receiving
// the bytes, so for big files it runs on a worker thread: the main thread copies each batch into one of a few
// reusable 1 MiB slots and moves it over (no allocation in the steady state), the worker hashes in order and
// hands the slot back. At most MAX_SLOTS slots are in flight, which bounds memory and pushes back on the stream.
import { createHash, type Hash } from 'node:crypto';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { HashName } from './types';

export type Digests = { sha256: string; md5?: string };

export interface Hasher {
  /** hashes the chunks in order; resolves when the caller may send more */
  update(chunks: Buffer[]): Promise<void> | void;
  /** starts over (a restarted download) */
  reset(): void;
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
const SLOT_BYTES = 1024 * 1024;
const MAX_SLOTS = 8;

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

// Plain CommonJS run with `eval`, so it works the same from the TypeScript sources and from dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const names = workerData.names;
let hashes = names.map((name) => createHash(name));
parentPort.on('message', (message) => {
  if (message.type === 'data') {
    const view = new Uint8Array(message.buffer, 0, message.length);
    for (const hash of hashes) hash.update(view);
    parentPort.postMessage({ type: 'ack', buffer: message.buffer }, [message.buffer]);
  } else if (message.type === 'reset') {
    hashes = names.map((name) => createHash(name));
  } else if (message.type === 'digest') {
    parentPort.postMessage({ type: 'digest', hex: hashes.map((hash) => hash.digest('hex')) });
  }
});
`;

export class WorkerHasher implements Hasher {
  private readonly worker: Worker;
  private readonly free: ArrayBuffer[] = [];
  private allocated = 0;
  private waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private pendingDigest?: { resolve: (hex: string[]) => void; reject: (error: Error) => void };
  private failure?: HashWorkerError;
  private closed = false;

  constructor(private readonly names: HashName[]) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { names } });
    this.worker.on('message', (message: { type: string; buffer?: ArrayBuffer; hex?: string[] }) => {
      if (message.type === 'ack' && message.buffer) {
        this.free.push(message.buffer);
        this.waiters.shift()?.resolve();
      } else if (message.type === 'digest' && message.hex) {
        this.pendingDigest?.resolve(message.hex);
        this.pendingDigest = undefined;
      }
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`exited with code ${code}`));
    });
  }

  private fail(cause: unknown): void {
    this.failure ??= new HashWorkerError(cause);
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
    this.pendingDigest?.reject(this.failure);
    this.pendingDigest = undefined;
  }

  private async slot(): Promise<ArrayBuffer> {
    for (;;) {
      if (this.failure) throw this.failure;
      const buffer = this.free.pop();
      if (buffer) return buffer;
      if (this.allocated < MAX_SLOTS) {
        this.allocated++;
        return new ArrayBuffer(SLOT_BYTES);
      }
      await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    }
  }

  async update(chunks: Buffer[]): Promise<void> {
    let buffer: ArrayBuffer | undefined;
    let target: Uint8Array | undefined;
    let length = 0;
    const send = () => {
      if (!buffer || length === 0) return;
      this.worker.postMessage({ type: 'data', buffer, length }, [buffer]);
      buffer = undefined;
      length = 0;
    };
    for (const chunk of chunks) {
      let offset = 0;
      while (offset < chunk.length) {
        if (!buffer) {
          buffer = await this.slot();
          target = new Uint8Array(buffer);
        }
        const n = Math.min(SLOT_BYTES - length, chunk.length - offset);
        target!.set(chunk.subarray(offset, offset + n), length);
        length += n;
        offset += n;
        if (length === SLOT_BYTES) send();
      }
    }
    send();
    if (this.failure) throw this.failure;
  }

  reset(): void {
    // Messages are handled in order, so everything sent before is hashed into the old state and dropped.
    this.worker.postMessage({ type: 'reset' });
  }

  async digest(): Promise<Digests> {
    if (this.failure) throw this.failure;
    const hex = await new Promise<string[]>((resolve, reject) => {
      this.pendingDigest = { resolve, reject };
      this.worker.postMessage({ type: 'digest' });
    });
    return toDigests(this.names, hex);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.worker.terminate();
  }
}
