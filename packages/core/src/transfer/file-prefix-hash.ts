// Digests of a file that is still being written, hashed in order as its prefix completes: for ranged parts, which
// land in the file out of order (parts-download.ts). One thread per digest reads the completed bytes from the
// file itself (the page cache still holds them) into its own buffer, so the main thread, which receives every
// part, neither reads them back nor copies them into a ring: with 3 parts in flight that read back cost the main
// thread about 0.1 s per 512 MiB and made it the slowest stage (docs/performance.md).
//
// The threads read through the caller's file descriptor (descriptors belong to the process, and positional reads
// do not move a shared offset), so there is nothing of theirs to close: the caller keeps the file open until
// `close()` has stopped them.
import type { Worker } from 'node:worker_threads';
import type { Digests } from './hasher';
import type { HashName } from './types';

// Plain CommonJS run with `eval` (as in hasher.ts), so it works from the sources and from dist/. It answers each
// message in order: `{at}` once the bytes up to `end` are hashed, `{hex}` for the digest, `{error}` on failure.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const hash = createHash(workerData.name);
const buffer = Buffer.allocUnsafeSlow(1024 * 1024);
let position = 0;
parentPort.on('message', (message) => {
  try {
    if (message.end === undefined) return parentPort.postMessage({ hex: hash.digest('hex') });
    while (position < message.end) {
      const n = fs.readSync(workerData.fd, buffer, 0, Math.min(buffer.length, message.end - position), position);
      if (n === 0) throw Object.assign(new Error('the file is shorter than the bytes written to it'), { code: 'EIO' });
      hash.update(buffer.subarray(0, n));
      position += n;
    }
    parentPort.postMessage({ at: position });
  } catch (error) {
    parentPort.postMessage({ error: { message: String(error && error.message), code: error && error.code } });
  }
});
`;

interface Reply {
  at?: number;
  hex?: string;
  error?: { message: string; code?: string };
}

/** One digest of the file's growing prefix, on a thread of its own. */
class PrefixThread {
  private readonly worker: Worker;
  private readonly waiting: Array<{ resolve: (reply: Reply) => void; reject: (error: Error) => void }> = [];
  private failure?: Error;

  constructor(fd: number, name: HashName) {
    // loaded here: small downloads and plain streams never need it
    const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { fd, name },
      // the thread only hashes bytes in its one buffer
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
    });
    this.worker.on('message', (reply: Reply) => {
      const next = this.waiting.shift();
      if (reply.error) this.fail(Object.assign(new Error(reply.error.message), { code: reply.error.code }), next);
      else next?.resolve(reply);
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`the hashing thread exited with code ${code}`)));
  }

  private fail(error: Error, first?: { reject: (error: Error) => void }): void {
    this.failure ??= error;
    first?.reject(this.failure);
    for (const waiting of this.waiting.splice(0)) waiting.reject(this.failure);
  }

  ask(message: { end?: number }): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(message);
    });
  }

  async stop(): Promise<void> {
    this.failure ??= new Error('stopped');
    await this.worker.terminate();
  }
}

export class FilePrefixHasher {
  private readonly threads: PrefixThread[];
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    fd: number,
    private readonly names: HashName[],
  ) {
    this.threads = names.map((name) => new PrefixThread(fd, name));
  }

  /** Resolves once the bytes before `end` are hashed by every digest (the file must hold them already). */
  hashTo(end: number): Promise<void> {
    const done = Promise.all(this.threads.map((thread) => thread.ask({ end }))).then(() => undefined);
    this.last = done.catch(() => undefined);
    return done;
  }

  /** Resolves once every hashTo so far has ended, whichever way. */
  async settled(): Promise<void> {
    await this.last;
  }

  async digest(): Promise<Digests> {
    const replies = await Promise.all(this.threads.map((thread) => thread.ask({})));
    const out: Digests = { sha256: '' };
    this.names.forEach((name, i) => {
      out[name] = String(replies[i]?.hex);
    });
    return out;
  }

  /** Stops the threads; resolves when none of them reads the file any more. */
  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.stop()));
  }
}
