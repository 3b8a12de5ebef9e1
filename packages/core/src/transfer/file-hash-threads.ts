// Digests of a file on disk on one thread that reads the file itself (page-cache reads into its own 1 MiB buffer)
// and feeds every digest from each read: the caller's thread does none of the hashing and none of the copying.
// For a push, which hashes the file while it uploads it, the main thread then only feeds the upload.
//
// One thread for md5 and sha256 together, not one each: md5 + sha256 of 512 MiB take ~1.0 s on one core, well
// inside the upload they overlap with, and on 2 vCPUs (shared with the server in the benches) a second thread
// and a second read of the file only took CPU from the upload and the server (see docs/performance.md).
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
const hashes = workerData.names.map((name) => createHash(name));
const buffer = Buffer.allocUnsafeSlow(1024 * 1024);
let fd;
try {
  fd = fs.openSync(workerData.file, 'r');
  let size = 0;
  for (;;) {
    const n = fs.readSync(fd, buffer, 0, buffer.length, size);
    if (n === 0) break;
    const bytes = buffer.subarray(0, n);
    for (const hash of hashes) hash.update(bytes);
    size += n;
  }
  parentPort.postMessage({ hex: hashes.map((hash) => hash.digest('hex')), size });
} catch (error) {
  parentPort.postMessage({ error: { message: String(error && error.message), code: error && error.code } });
} finally {
  if (fd !== undefined) fs.closeSync(fd);
}
`;

interface Answer {
  hex?: string[];
  size?: number;
  error?: { message: string; code?: string };
}

/** Every digest in `names` of `file`, computed on one thread over one read of the file. */
export async function fileDigestsOnThreads(
  file: string,
  names: readonly HashName[],
  signal?: AbortSignal,
): Promise<{ digests: Partial<Record<HashName, string>>; size: number }> {
  const aborted = () => Object.assign(new Error('the hashing was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
  if (signal?.aborted) throw aborted();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, names },
    // the thread only hashes bytes in its one buffer
    resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
  });
  let onAbort: (() => void) | undefined;
  try {
    const answer = await new Promise<{ hex: string[]; size: number }>((resolve, reject) => {
      onAbort = () => reject(aborted());
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.once('message', (message: Answer) => {
        if (message.error) reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
        else resolve({ hex: message.hex ?? [], size: Number(message.size) });
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the hashing thread exited with code ${code}`)));
    });
    const digests: Partial<Record<HashName, string>> = {};
    names.forEach((name, i) => {
      digests[name] = String(answer.hex[i]);
    });
    return { digests, size: answer.size };
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    void worker.terminate();
  }
}
