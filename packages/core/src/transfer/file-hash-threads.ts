// Digests of a file on disk with one thread per digest, each reading the file itself (page-cache reads into its
// own 1 MiB buffer): the caller's thread does none of the hashing and none of the copying, and md5 and sha256 run
// side by side instead of one after the other. For a push, which hashes the file while it uploads it, the main
// thread then only feeds the upload.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { HashName } from './types';

/** Below this size (or with one CPU) a thread costs more than it saves: hash inline. */
export const FILE_THREADS_MIN_BYTES = 16 * 1024 * 1024;

/**
 * One digest goes on a thread too: its one reused buffer and synchronous reads cost less than the inline stream's
 * 1 MiB chunks (sha256 of 512 MiB, 3 interleaved rounds: 0.37 CPU s on a thread against 0.48 inline), and the
 * caller's thread stays free (an oras push hashes while it uploads).
 */
export function preferFileHashThreads(size: number, names: readonly HashName[], cpus = os.availableParallelism()): boolean {
  return cpus >= 2 && names.length >= 1 && size >= FILE_THREADS_MIN_BYTES;
}

// Plain CommonJS run with `eval` (as in hasher.ts), so it works from the sources and from dist/. One answer.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const hash = createHash(workerData.name);
const buffer = Buffer.allocUnsafeSlow(1024 * 1024);
let fd;
try {
  fd = fs.openSync(workerData.file, 'r');
  let size = 0;
  for (;;) {
    const n = fs.readSync(fd, buffer, 0, buffer.length, size);
    if (n === 0) break;
    hash.update(buffer.subarray(0, n));
    size += n;
  }
  parentPort.postMessage({ hex: hash.digest('hex'), size });
} catch (error) {
  parentPort.postMessage({ error: { message: String(error && error.message), code: error && error.code } });
} finally {
  if (fd !== undefined) fs.closeSync(fd);
}
`;

interface Answer {
  hex?: string;
  size?: number;
  error?: { message: string; code?: string };
}

function hashOnThread(
  file: string,
  name: HashName,
  signal: AbortSignal | undefined,
): { done: Promise<{ hex: string; size: number }>; stop: () => void } {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, name },
    // the thread only hashes bytes in its one buffer
    resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
  });
  let settled = false;
  const done = new Promise<{ hex: string; size: number }>((resolve, reject) => {
    const finish = (error: Error | undefined, value?: { hex: string; size: number }) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (error) reject(error);
      else resolve(value!);
    };
    const onAbort = () => finish(Object.assign(new Error('the hashing was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (answer: Answer) => {
      if (answer.error) finish(Object.assign(new Error(answer.error.message), { code: answer.error.code }));
      else finish(undefined, { hex: String(answer.hex), size: Number(answer.size) });
    });
    worker.once('error', (error) => finish(error));
    worker.once('exit', (code) => finish(new Error(`the hashing thread exited with code ${code}`)));
  });
  return { done, stop: () => void worker.terminate() };
}

/** Every digest in `names` of `file`, one thread each; rejects if the threads saw different sizes (the file changed). */
export async function fileDigestsOnThreads(
  file: string,
  names: readonly HashName[],
  signal?: AbortSignal,
): Promise<{ digests: Partial<Record<HashName, string>>; size: number }> {
  if (signal?.aborted) throw Object.assign(new Error('the hashing was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
  const threads = names.map((name) => hashOnThread(file, name, signal));
  try {
    const results = await Promise.all(threads.map((thread) => thread.done));
    const size = results[0]!.size;
    if (results.some((r) => r.size !== size)) {
      throw Object.assign(new Error(`${file} changed while it was hashed`), { code: 'EFILECHANGED' });
    }
    const digests: Partial<Record<HashName, string>> = {};
    names.forEach((name, i) => {
      digests[name] = results[i]!.hex;
    });
    return { digests, size };
  } finally {
    for (const thread of threads) thread.stop();
  }
}
