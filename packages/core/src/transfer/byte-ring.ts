// A bounded queue of bytes with one producer and several independent consumers (the file, the md5 thread, the
// sha256 thread). The producer copies each incoming chunk once into a fixed SharedArrayBuffer; every consumer
// reads the same bytes from there at its own pace, in order, one piece at a time. The producer only waits when
// the slowest consumer is a whole ring behind, so no stage waits for another in lock step, and memory is the
// ring's size whatever the stream's length.
//
// Pieces are at least MIN_PIECE bytes (or what is left when a flush is asked for), so a fast consumer is not
// woken for every 64 KiB socket read, and at most MAX_PIECE, so space comes back while a slow one works.

/** One reader of the ring. */
export interface RingConsumer {
  /**
   * Handles the ring bytes [offset, offset + length), which are the stream's bytes [position, position + length).
   * Resolves when they may be overwritten. Called again only after the previous call settled.
   */
  consume(offset: number, length: number, position: number): Promise<void>;
}

export const RING_MIN_PIECE = 256 * 1024;
export const RING_MAX_PIECE = 1024 * 1024;

type Waiter = { resolve: () => void; reject: (error: unknown) => void };

export class ByteRing {
  /** bytes accepted since the start (or the last rewind) */
  private head = 0;
  private readonly done: number[];
  private readonly busy: boolean[];
  private readonly bytes: Uint8Array;
  private readonly size: number;
  private waiters: Waiter[] = [];
  /** pending drain() calls: consumers take what there is, even less than a minimum piece */
  private flushing = 0;
  private failure?: unknown;
  private stopped = false;

  constructor(
    readonly buffer: SharedArrayBuffer,
    private readonly consumers: RingConsumer[],
  ) {
    if (buffer.byteLength < RING_MIN_PIECE) throw new RangeError('ring smaller than one piece');
    this.bytes = new Uint8Array(buffer);
    this.size = buffer.byteLength;
    this.done = consumers.map(() => 0);
    this.busy = consumers.map(() => false);
  }

  /** Copies the chunks in; resolves once they are all in the ring (waits only while it is full). */
  async push(chunks: Buffer[]): Promise<void> {
    for (const chunk of chunks) {
      let offset = 0;
      while (offset < chunk.length) {
        this.check();
        const free = this.size - (this.head - Math.min(...this.done));
        if (free === 0) {
          await this.wait();
          continue;
        }
        const at = this.head % this.size;
        const n = Math.min(free, chunk.length - offset, this.size - at);
        this.bytes.set(chunk.subarray(offset, offset + n), at);
        this.head += n;
        offset += n;
        this.kick();
      }
    }
    this.check();
  }

  /** Resolves when every consumer has handled every byte pushed so far; rejects with the first consumer failure. */
  async drain(): Promise<void> {
    this.flushing++;
    try {
      this.kick();
      while (!this.caughtUp()) {
        this.check();
        await this.wait();
      }
      this.check();
    } finally {
      this.flushing--;
    }
  }

  /** Starts the stream over at position 0; only valid after drain(). */
  rewind(): void {
    if (!this.caughtUp()) throw new Error('rewind before drain');
    this.head = 0;
    this.done.fill(0);
  }

  /** Hands out no more pieces; resolves when the ones in progress have settled (so a file can be closed). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake(); // a push waiting for space gives up
    while (this.busy.some(Boolean)) await this.wait().catch(() => undefined);
  }

  private caughtUp(): boolean {
    return !this.busy.some(Boolean) && this.done.every((d) => d === this.head);
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.stopped) throw new Error('the ring was stopped');
  }

  private wait(): Promise<void> {
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      if (this.failure !== undefined) waiter.reject(this.failure);
      else waiter.resolve();
    }
  }

  /** Starts a piece for every idle consumer that has enough bytes waiting. */
  private kick(): void {
    if (this.stopped || this.failure !== undefined) return;
    this.consumers.forEach((consumer, i) => {
      if (this.busy[i]) return;
      const position = this.done[i]!;
      const pending = this.head - position;
      if (pending === 0 || (pending < RING_MIN_PIECE && this.flushing === 0)) return;
      const at = position % this.size;
      const length = Math.min(pending, RING_MAX_PIECE, this.size - at);
      this.busy[i] = true;
      consumer.consume(at, length, position).then(
        () => {
          this.busy[i] = false;
          this.done[i] = position + length;
          this.kick();
          this.wake();
        },
        (error: unknown) => {
          this.busy[i] = false;
          this.failure ??= error ?? new Error('a ring consumer failed');
          this.wake();
        },
      );
    });
  }
}
