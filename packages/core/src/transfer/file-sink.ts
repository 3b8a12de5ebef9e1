// The download target: one file handle for all attempts, the running digests, and the committed byte count.
// Each attempt gets a fresh Writable that appends at the committed position; bytes are hashed in the same pass
// as they are written, in order, so a Range resume just continues the hash state, and a restart resets both.
// Write errors surface as DiskWriteError; a failing hash worker as HashWorkerError (see hasher.ts).
import fs from 'node:fs/promises';
import { Writable } from 'node:stream';
import { type Digests, type Hasher, InlineHasher, WorkerHasher } from './hasher';
import type { HashName } from './types';

/** Write buffer of the per-attempt stream: large, so the socket keeps flowing while the disk catches up. */
export const WRITE_HIGH_WATER_MARK = 1024 * 1024;

/** The local file could not be written (disk full, I/O error): never worth a network retry. */
export class DiskWriteError extends Error {
  readonly code: string;
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const code = (cause as { code?: unknown })?.code;
    super(`cannot write ${path}${typeof code === 'string' ? `: ${code}` : ''}`, { cause });
    this.name = 'DiskWriteError';
    this.code = typeof code === 'string' ? code : 'EIO';
  }
}

export class FileSink {
  /** bytes written to disk and hashed */
  position = 0;
  /** hash on a worker thread (decided before the first byte, once the size is known) */
  parallel = false;
  private hasher?: Hasher;
  /** the write in flight, so a destroyed attempt can wait for it before the file is touched again */
  private pending: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly handle: fs.FileHandle,
    readonly path: string,
    private readonly names: HashName[],
  ) {}

  /** Creates or truncates `path` with mode 0600 (the image may be private). */
  static async open(path: string, hashes: HashName[]): Promise<FileSink> {
    const names = Array.from(new Set<HashName>(['sha256', ...hashes]));
    const handle = await fs.open(path, 'w', 0o600);
    return new FileSink(handle, path, names);
  }

  private getHasher(): Hasher {
    this.hasher ??= this.parallel ? new WorkerHasher(this.names) : new InlineHasher(this.names);
    return this.hasher;
  }

  /** Starts over from byte 0 (the server did not resume): empty file, fresh digests. */
  async reset(): Promise<void> {
    await this.settled();
    await this.handle.truncate(0);
    this.position = 0;
    this.hasher?.reset();
  }

  /** Resolves once no write is in flight. */
  async settled(): Promise<void> {
    await this.pending.catch(() => undefined);
  }

  /** A stream for one attempt; `onWritten` runs after each write reaches the file. */
  writer(onWritten?: () => void): Writable {
    const write = async (chunks: Buffer[]) => {
      // Hashing (possibly on the worker) and the disk write of the same batch overlap.
      const hashed = Promise.resolve(this.getHasher().update(chunks));
      hashed.catch(() => undefined); // observed below; this only keeps an early failure from counting as unhandled
      try {
        await writeAll(this.handle, chunks, this.position);
      } catch (error) {
        await hashed.catch(() => undefined);
        throw new DiskWriteError(this.path, error);
      }
      await hashed;
      for (const chunk of chunks) this.position += chunk.length;
      onWritten?.();
    };
    const run = (chunks: Buffer[], callback: (error?: Error | null) => void) => {
      const done = write(chunks);
      this.pending = done;
      done.then(() => callback(), callback);
    };
    return new Writable({
      highWaterMark: WRITE_HIGH_WATER_MARK,
      write: (chunk: Buffer, _encoding, callback) => run([chunk], callback),
      writev: (entries, callback) =>
        run(
          entries.map((entry) => entry.chunk as Buffer),
          callback,
        ),
      // Resolve the destroy only after the last write landed, so the next attempt sees a stable file.
      destroy: (error, callback) => {
        this.settled().then(() => callback(error));
      },
    });
  }

  async digests(): Promise<Digests> {
    return this.getHasher().digest();
  }

  /** Flushes to disk and closes. */
  async finish(): Promise<void> {
    await this.settled();
    this.hasher?.close();
    await this.handle.sync();
    await this.handle.close();
  }

  /** Closes and removes the file: no half-written image is ever left behind. */
  async discard(): Promise<void> {
    await this.settled();
    this.hasher?.close();
    await this.handle.close().catch(() => undefined);
    await fs.rm(this.path, { force: true });
  }
}

/** Positional vectored write that copes with short writes. */
async function writeAll(handle: fs.FileHandle, chunks: Buffer[], position: number): Promise<void> {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  let { bytesWritten } = chunks.length === 1 ? await handle.write(chunks[0]!, 0, total, position) : await handle.writev(chunks, position);
  while (bytesWritten < total) {
    // Rare (disk nearly full, signals): finish the remainder chunk by chunk.
    let skip = bytesWritten;
    for (const chunk of chunks) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      const rest = chunk.subarray(skip);
      skip = 0;
      let offset = 0;
      while (offset < rest.length) {
        const result = await handle.write(rest, offset, rest.length - offset, position + bytesWritten);
        if (result.bytesWritten === 0) throw new Error('short write');
        offset += result.bytesWritten;
        bytesWritten += result.bytesWritten;
      }
    }
  }
}
