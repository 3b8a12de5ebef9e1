// The file side of a download: chunks queued in arrival order and written behind the stream, so the stream waits
// for the disk only when a bounded amount is queued. One positional write at a time, of at most WRITE_MAX_BYTES:
// the queue absorbs a slow disk, the writes stay small. The chunks are the received buffers themselves (no copy).
import type fs from 'node:fs/promises';

/** Bytes queued for the disk before the stream is held back (the same depth as the hash ring, see hasher.ts). */
export const WRITE_QUEUE_BYTES = 4 * 1024 * 1024;
/**
 * Most bytes in one write. Small writes cost the kernel less than big ones here, against intuition: on Linux 6.18
 * (ext4 with large folios) the page cache allocates folios as large as the write, and filling fresh large folios
 * cost 2-3x the CPU of small ones. Measured on the 2-vCPU VM, 512 MiB from a local server, one write in flight,
 * medians of 4 interleaved rounds, CPU s user + sys: 64 KiB 1.05, 128 KiB 0.98, 256 KiB 1.44, 512 KiB 1.44,
 * 4 MiB (the coalesced writev this replaced) 2.04; curl (16 KiB writes) 0.47. Socket chunks are <= 64 KiB, so a
 * write takes one or two of them.
 */
export const WRITE_MAX_BYTES = 128 * 1024;
/**
 * Bytes written between two background fdatasyncs. The downloaded file is fsynced before it is used (FileSink
 * finish, then the catalogue's placing); with nothing synced earlier, all of it was still dirty then, and that
 * last fsync waited for the whole file: 0.21-0.46 s per 512 MiB on this VM. Syncing as the file grows lets the
 * disk work while the network does, on a thread of libuv's pool (the writes go on; one sync in flight at most).
 * In-process downloads of 512 MiB from Distribution, 5 interleaved rounds: the last fsync 209-222 ms without,
 * 15-25 ms with 32 MiB, the same CPU.
 */
export const SYNC_EVERY_BYTES = 32 * 1024 * 1024;

export class WriteQueue {
  private queue: Buffer[] = [];
  private queued = 0;
  /** file position of the first queued byte */
  private position = 0;
  private writing?: Promise<void>;
  private failure?: unknown;
  private waiters: Array<() => void> = [];
  /** bytes written since the last background sync started, and that sync while it runs */
  private unsynced = 0;
  private syncing?: Promise<void>;

  constructor(
    private readonly handle: fs.FileHandle,
    private readonly wrap: (error: unknown) => Error,
    private readonly limit = WRITE_QUEUE_BYTES,
    private readonly syncEvery = SYNC_EVERY_BYTES,
  ) {}

  /** bytes queued and not yet in the file */
  get backlog(): number {
    return this.queued;
  }

  /** Queues the chunks for file position `position` on; resolves once the queue has room again. */
  async write(chunks: Buffer[], position: number): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.queued === 0) this.position = position;
    else if (this.position + this.queued !== position) throw new Error('write queue: non-contiguous write');
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      this.queue.push(chunk);
      this.queued += chunk.length;
    }
    this.start();
    while (this.queued >= this.limit && this.failure === undefined) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.failure !== undefined) throw this.failure;
  }

  /** Resolves when everything queued is in the file; rejects with the write error if one happened. */
  async drain(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.failure !== undefined) throw this.failure;
  }

  private start(): void {
    if (this.writing || this.queued === 0 || this.failure !== undefined) return;
    const batch: Buffer[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && bytes < WRITE_MAX_BYTES) {
      const chunk = this.queue[0]!;
      const room = WRITE_MAX_BYTES - bytes;
      if (chunk.length > room) {
        // a big chunk is written in pieces (views, no copy)
        batch.push(chunk.subarray(0, room));
        this.queue[0] = chunk.subarray(room);
        bytes += room;
        break;
      }
      batch.push(chunk);
      bytes += chunk.length;
      this.queue.shift();
    }
    const at = this.position;
    this.writing = writeAll(this.handle, batch, at).then(
      () => {
        this.queued -= bytes;
        this.position = at + bytes;
        this.writing = undefined;
        this.unsynced += bytes;
        if (this.unsynced >= this.syncEvery && !this.syncing) this.syncInBackground();
        this.start();
        this.wake();
      },
      (error: unknown) => {
        this.failure = this.wrap(error);
        this.queue = [];
        this.queued = 0;
        this.writing = undefined;
        this.wake();
      },
    );
  }

  /** A failed background sync is not reported: the caller's own fsync at the end meets the same error. */
  private syncInBackground(): void {
    this.unsynced = 0;
    this.syncing = this.handle.datasync().then(
      () => {
        this.syncing = undefined;
      },
      () => {
        this.syncing = undefined;
      },
    );
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

/** Positional vectored write that copes with short writes. */
export async function writeAll(handle: fs.FileHandle, chunks: Buffer[], position: number): Promise<void> {
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
