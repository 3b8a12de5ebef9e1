// The file side of a download: each chunk is written where it belongs as soon as it is accepted, synchronously
// on the receiving thread, in pieces of at most WRITE_MAX_BYTES, as curl does. Handing the writes to libuv's pool
// instead (the write queue this replaced: one 128 KiB write in flight behind the stream) cost more than the write
// itself: measured on the 2-vCPU VM, 512 MiB from a local node:http server received with `onread`, wall and
// CPU s: written synchronously in 64 KiB pieces 0.42-0.66 s (0.40-0.55), curl 0.58-0.99 s, the queue's pool
// writes 1.06-1.31 s (0.96-1.70); in a whole pull, half of the main thread's time was spent idle waiting for the
// pool's answers. A page-cache write does not wait for the disk; a slow disk holds the socket back, which is the
// backpressure a download wants. The file is also synced in the background as it grows (SYNC_EVERY_BYTES).
import fs from 'node:fs';

/**
 * Most bytes in one write. Small writes cost the kernel less than big ones here, against intuition: on Linux 6.18
 * (ext4 with large folios) the page cache allocates folios as large as the write, and filling fresh large folios
 * cost 2-3x the CPU of small ones. Synchronous writes of 512 MiB read in 1 MiB pieces, CPU s: 16 KiB pieces
 * 0.80-0.92, 64 KiB 0.40-0.42, 1 MiB 0.46-0.95.
 */
export const WRITE_MAX_BYTES = 64 * 1024;
/**
 * Bytes written between two background fdatasyncs. The downloaded file is fsynced before it is used (FileSink
 * finish, then the catalogue's placing); with nothing synced earlier, all of it was still dirty then, and that
 * last fsync waited for the whole file: 0.21-0.46 s per 512 MiB on this VM. Syncing as the file grows lets the
 * disk work while the network does, on a thread of libuv's pool (the writes go on; one sync in flight at most).
 * In-process downloads of 512 MiB from Distribution, 5 interleaved rounds: the last fsync 209-222 ms without,
 * 15-25 ms with 32 MiB, the same CPU.
 */
export const SYNC_EVERY_BYTES = 32 * 1024 * 1024;

/** What the writer needs of the file: its descriptor and a background sync (a FileHandle has both). */
export interface WritableFile {
  readonly fd: number;
  datasync(): Promise<void>;
}

/** fs.writeSync's shape; tests record or fail the writes through it. */
export type WriteSync = (fd: number, buffer: Buffer, offset: number, length: number, position: number) => number;

export class FileWriter {
  private failure?: Error;
  /** bytes written since the last background sync started, and that sync while it runs */
  private unsynced = 0;
  private syncing?: Promise<void>;

  constructor(
    private readonly file: WritableFile,
    private readonly wrap: (error: unknown) => Error,
    private readonly syncEvery = SYNC_EVERY_BYTES,
    private readonly writeSync: WriteSync = fs.writeSync,
  ) {}

  /** Writes the chunks at file position `position` on; throws the wrapped error (and goes on throwing it). */
  write(chunks: Buffer[], position: number): void {
    this.check();
    try {
      for (const chunk of chunks) {
        for (let offset = 0; offset < chunk.length; ) {
          const n = Math.min(WRITE_MAX_BYTES, chunk.length - offset);
          this.writeFully(chunk, offset, n, position);
          offset += n;
          position += n;
          this.unsynced += n;
        }
      }
    } catch (error) {
      this.failure = this.wrap(error);
      throw this.failure;
    }
    if (this.unsynced >= this.syncEvery && !this.syncing) this.syncInBackground();
  }

  /** Throws the write error if one happened. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** A short write (disk nearly full, signals) goes on from where it stopped. */
  private writeFully(buffer: Buffer, offset: number, length: number, position: number): void {
    while (length > 0) {
      const n = this.writeSync(this.file.fd, buffer, offset, length, position);
      if (n <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
      offset += n;
      length -= n;
      position += n;
    }
  }

  /** A failed background sync is not reported: the caller's own fsync at the end meets the same error. */
  private syncInBackground(): void {
    this.unsynced = 0;
    this.syncing = this.file.datasync().then(
      () => {
        this.syncing = undefined;
      },
      () => {
        this.syncing = undefined;
      },
    );
  }
}
