// The download target: one file handle for all attempts, the running digests, and the accepted byte count.
// Each attempt gets a fresh Writable that appends at the accepted position; bytes are hashed in order, so a
// Range resume just continues the hash state, and a restart resets both.
//
// No stage waits for another in lock step. Each batch goes to two bounded queues and the Writable is done with it:
// the file's WriteQueue (the socket's buffers, written behind the stream) and the hashes. Big downloads
// (`parallel`) hash on one thread per digest, fed through a ByteRing in shared memory (see hasher.ts); small
// ones hash on the main thread while the write is in flight. The stream is held back only when the disk or the
// slowest hash is a whole queue behind, so memory stays flat.
// Write errors surface as DiskWriteError; a failing hash worker as HashWorkerError (see hasher.ts), on a later
// write, at the end of the attempt, or from digests().
import fs from 'node:fs/promises';
import { Writable } from 'node:stream';
import { type Digests, type Hasher, InlineHasher, WorkerHasher } from './hasher';
import type { HashName } from './types';
import { WriteQueue } from './write-queue';

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

/** A hasher that may queue bytes: `drain` waits for them, `stop` abandons them. */
export type QueuedHasher = Hasher & { drain?: () => Promise<void>; stop?: () => Promise<void> };

function defaultHasher(names: HashName[], parallel: boolean): QueuedHasher {
  return parallel ? new WorkerHasher(names) : new InlineHasher(names);
}

/** Read-back piece for hashFile: well under the hash ring (4 MiB), so a push never waits for a whole ring. */
const READ_BACK_BYTES = 1024 * 1024;

export class FileSink {
  /** bytes accepted: in the file or queued for it, and hashed or queued for the hashes (in order) */
  position = 0;
  /** hash on worker threads (decided before the first byte, once the size is known) */
  parallel = false;
  private hasher?: QueuedHasher;
  private readBuffer?: Buffer;
  private readonly disk: WriteQueue;
  /** positional writers of ranged parts still open (parts-download.ts); drained with the main queue */
  private readonly parts = new Set<WriteQueue>();

  private constructor(
    private readonly handle: fs.FileHandle,
    readonly path: string,
    private readonly names: HashName[],
    private readonly makeHasher: (names: HashName[], parallel: boolean) => QueuedHasher,
  ) {
    this.disk = new WriteQueue(handle, (error) => new DiskWriteError(path, error));
  }

  /**
   * Creates or truncates `path` with mode 0600 (the image may be private). Only the digests in `hashes` (and
   * sha256, the catalogue's version) are computed. `makeHasher` replaces the hashing stage (tests slow it down).
   */
  static async open(
    path: string,
    hashes: HashName[],
    makeHasher: (names: HashName[], parallel: boolean) => QueuedHasher = defaultHasher,
  ): Promise<FileSink> {
    const names = Array.from(new Set<HashName>(['sha256', ...hashes]));
    // read and write: ranged parts are read back from the file to be hashed in order (hashFile)
    const handle = await fs.open(path, 'w+', 0o600);
    return new FileSink(handle, path, names, makeHasher);
  }

  private getHasher(): QueuedHasher {
    this.hasher ??= this.makeHasher(this.names, this.parallel);
    return this.hasher;
  }

  /** Starts over from byte 0 (the server did not resume): empty file, fresh digests. */
  async reset(): Promise<void> {
    await this.settled();
    await this.hasher?.reset();
    await this.handle.truncate(0);
    this.position = 0;
  }

  /** Resolves once every accepted byte is in the file and hashed, or a stage failed (reported elsewhere). */
  async settled(): Promise<void> {
    await this.disk.drain().catch(() => undefined);
    for (const part of this.parts) await part.drain().catch(() => undefined);
    await this.hasher?.drain?.().catch(() => undefined);
  }

  /** Everything accepted is in the file and hashed; throws the first stage's failure. */
  async flushed(): Promise<void> {
    await Promise.all([this.disk.drain(), ...[...this.parts].map((part) => part.drain()), this.hasher?.drain?.()]);
  }

  /**
   * A positional writer for one ranged part: its bytes go to the file at their offset as they arrive, unhashed
   * (so no part is held in memory). `closePart` once drained; `hashFile` then hashes the completed prefix.
   */
  openPart(limit: number): WriteQueue {
    const part = new WriteQueue(this.handle, (error) => new DiskWriteError(this.path, error), limit);
    this.parts.add(part);
    return part;
  }

  closePart(part: WriteQueue): void {
    this.parts.delete(part);
  }

  /**
   * Hashes the file's bytes from `position` to `end` (already written by part writers), reading them back in
   * order through one reused buffer: the page cache still holds them, and memory stays one buffer deep.
   * `onBytes` sees each piece before it is reused (the image's head).
   */
  async hashFile(end: number, onBytes?: (bytes: Buffer, at: number) => Promise<void> | void): Promise<void> {
    this.readBuffer ??= Buffer.allocUnsafe(READ_BACK_BYTES);
    const buffer = this.readBuffer;
    while (this.position < end) {
      const want = Math.min(buffer.length, end - this.position);
      const { bytesRead } = await this.handle.read(buffer, 0, want, this.position);
      if (bytesRead === 0) throw new DiskWriteError(this.path, Object.assign(new Error('short read'), { code: 'EIO' }));
      const bytes = buffer.subarray(0, bytesRead);
      await onBytes?.(bytes, this.position);
      await this.getHasher().update([bytes]);
      this.position += bytesRead;
    }
  }

  /**
   * Takes the next chunks of an attempt (the direct receive path calls it, the stream of `writer` too); resolves
   * when more may be given. `onWritten` runs once they are accepted.
   */
  async accept(chunks: Buffer[], onWritten?: () => void): Promise<void> {
    // Queued for the disk first, so the write is in flight while the bytes are hashed.
    const written = this.disk.write(chunks, this.position);
    const hashed = Promise.resolve(this.getHasher().update(chunks));
    // Both are awaited below; these keep an early failure of one from counting as unhandled.
    written.catch(() => undefined);
    hashed.catch(() => undefined);
    await Promise.all([written, hashed]);
    for (const chunk of chunks) this.position += chunk.length;
    onWritten?.();
  }

  /** A stream for one attempt; `onWritten` runs after each batch is accepted. */
  writer(onWritten?: () => void): Writable {
    const accept = (chunks: Buffer[]) => this.accept(chunks, onWritten);
    const run = (chunks: Buffer[], callback: (error?: Error | null) => void) => {
      accept(chunks).then(() => callback(), callback);
    };
    return new Writable({
      highWaterMark: WRITE_HIGH_WATER_MARK,
      write: (chunk: Buffer, _encoding, callback) => run([chunk], callback),
      writev: (entries, callback) =>
        run(
          entries.map((entry) => entry.chunk as Buffer),
          callback,
        ),
      // The attempt is over only when its bytes are in the file: a disk error then fails this attempt.
      final: (callback) => {
        this.flushed().then(() => callback(), callback);
      },
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
    await this.flushed();
    this.hasher?.close();
    await this.handle.sync();
    await this.handle.close();
  }

  /** Closes and removes the file: no half-written image is ever left behind. */
  async discard(): Promise<void> {
    await this.disk.drain().catch(() => undefined);
    await this.hasher?.stop?.();
    this.hasher?.close();
    await this.handle.close().catch(() => undefined);
    await fs.rm(this.path, { force: true });
  }
}
