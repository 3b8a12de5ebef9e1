// The download target: one file handle for all attempts, the running digests, and the accepted byte count.
// Each attempt hands its bytes to `accept` (the direct receive path) or to a fresh Writable (`writer`) that
// appends at the accepted position; bytes are hashed in order, so a Range resume just continues the hash state,
// and a restart resets both.
//
// Each batch is written to the file at once (FileWriter: synchronous page-cache writes, as curl does) and then
// handed to the hashes. Big downloads (`parallel`) hash on one thread per digest, fed through a ByteRing in shared
// memory (see hasher.ts); the direct receive path reads the socket into that ring itself (`readBuffers`), so
// the bytes are neither copied nor garbage. Small downloads hash on the main thread. The stream is held back only
// by the disk or when the slowest hash is a whole ring behind, so memory stays flat.
// Write errors surface as DiskWriteError; a failing hash worker as HashWorkerError (see hasher.ts), on a later
// write, at the end of the attempt, or from digests().
import { readSync } from 'node:fs';
import fs from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { ReadBuffers } from './direct-get';
import { FilePrefixHasher } from './file-prefix-hash';
import { FileWriter } from './file-writer';
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

/**
 * A hasher that may queue bytes: `drain` waits for them, `stop` abandons them; `readBuffers`, where it has one,
 * is the memory its queue lives in, for the socket to read into.
 */
export type QueuedHasher = Hasher & { drain?: () => Promise<void>; stop?: () => Promise<void>; readBuffers?: () => ReadBuffers };

function defaultHasher(names: HashName[], parallel: boolean): QueuedHasher {
  return parallel ? new WorkerHasher(names) : new InlineHasher(names);
}

/** Read-back piece for hashFile: well under the hash ring (4 MiB), so a read never waits for a whole ring. */
const READ_BACK_BYTES = 1024 * 1024;

export class FileSink {
  /** bytes accepted: in the file or queued for it, and hashed or queued for the hashes (in order) */
  position = 0;
  /** hash on worker threads (decided before the first byte, once the size is known) */
  parallel = false;
  private hasher?: QueuedHasher;
  /** ranged parts on threads: the threads read the completed prefix from the file themselves (hashFile) */
  private prefixHasher?: FilePrefixHasher;
  private readBuffer?: Buffer;
  private readonly disk: FileWriter;

  private constructor(
    private readonly handle: fs.FileHandle,
    readonly path: string,
    private readonly names: HashName[],
    private readonly makeHasher: (names: HashName[], parallel: boolean) => QueuedHasher,
  ) {
    this.disk = new FileWriter(handle, (error) => new DiskWriteError(path, error));
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
    await this.prefixHasher?.close();
    this.prefixHasher = undefined;
    await this.handle.truncate(0);
    this.position = 0;
  }

  /** Resolves once every accepted byte is hashed, or a stage failed (reported elsewhere). */
  async settled(): Promise<void> {
    await this.hasher?.drain?.().catch(() => undefined);
    await this.prefixHasher?.settled();
  }

  /** Everything accepted is in the file and hashed; throws the first stage's failure. */
  async flushed(): Promise<void> {
    this.disk.check();
    await this.hasher?.drain?.();
  }

  /**
   * Where the socket may read the next bytes in place, when the hashes have such memory (the ring of the hash
   * threads): chunks given to `accept` from there are not copied again.
   */
  readBuffers(): ReadBuffers | undefined {
    return this.parallel ? this.getHasher().readBuffers?.() : undefined;
  }

  /**
   * Writes one ranged part's bytes at their offset as they arrive, unhashed (so no part is held in memory);
   * `hashFile` then hashes the completed prefix. Throws DiskWriteError.
   */
  writeAt(chunks: Buffer[], position: number): void {
    this.disk.write(chunks, position);
  }

  /**
   * Hashes the file's bytes from `position` to `end` (already written by `writeAt`), in order: the page cache
   * still holds them. On threads the threads read them from the file themselves (file-prefix-hash.ts), else they
   * are read back through one reused buffer; memory stays one buffer deep. `onBytes` sees the first piece (the
   * image's head); with a hasher of a test's own, every piece, read into its ring.
   */
  async hashFile(end: number, onBytes?: (bytes: Buffer, at: number) => Promise<void> | void): Promise<void> {
    // the threads read the file themselves; only the image's head is read here, once (a test's own hasher, which
    // takes bytes, gets them read back below)
    if (this.parallel && this.makeHasher === defaultHasher) {
      if (onBytes && this.position === 0 && end > 0) {
        const head = Buffer.allocUnsafe(Math.min(READ_BACK_BYTES, end));
        await onBytes(head.subarray(0, readSync(this.handle.fd, head, 0, head.length, 0)), 0);
      }
      this.prefixHasher ??= new FilePrefixHasher(this.handle.fd, this.names);
      await this.prefixHasher.hashTo(end);
      this.position = end;
      return;
    }
    const ring = this.readBuffers();
    while (this.position < end) {
      const want = Math.min(READ_BACK_BYTES, end - this.position);
      if (ring && ring.free() === 0) await ring.whenFree(1);
      const space = ring?.space(want);
      const buffer = space ?? this.readBackBuffer();
      // synchronous, as the writes: a page-cache read costs less than the round trip to libuv's pool
      const bytesRead = readSync(this.handle.fd, buffer, 0, Math.min(want, buffer.length), this.position);
      if (bytesRead === 0) throw new DiskWriteError(this.path, Object.assign(new Error('short read'), { code: 'EIO' }));
      if (space) ring?.commit(bytesRead);
      const bytes = buffer.subarray(0, bytesRead);
      await onBytes?.(bytes, this.position);
      await this.getHasher().update([bytes]);
      this.position += bytesRead;
    }
  }

  /** The buffer pieces are read back into when there is no hash ring: one, reused. */
  private readBackBuffer(): Buffer {
    this.readBuffer ??= Buffer.allocUnsafe(READ_BACK_BYTES);
    return this.readBuffer;
  }

  /**
   * Takes the next chunks of an attempt (the direct receive path calls it, the stream of `writer` too); resolves
   * when more may be given. `onWritten` runs once they are accepted.
   */
  async accept(chunks: Buffer[], onWritten?: () => void): Promise<void> {
    // In the file before they go to the hashes: ring memory is reused once the hashes are done with it.
    this.disk.write(chunks, this.position);
    await this.getHasher().update(chunks);
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
    return this.prefixHasher ? this.prefixHasher.digest() : this.getHasher().digest();
  }

  /** Flushes to disk and closes. */
  async finish(): Promise<void> {
    await this.flushed();
    this.hasher?.close();
    // before the handle closes: the threads read through its descriptor
    await this.prefixHasher?.close();
    await this.handle.sync();
    await this.handle.close();
  }

  /** Closes and removes the file: no half-written image is ever left behind. */
  async discard(): Promise<void> {
    await this.hasher?.stop?.();
    this.hasher?.close();
    await this.prefixHasher?.close();
    await this.handle.close().catch(() => undefined);
    await fs.rm(this.path, { force: true });
  }
}
