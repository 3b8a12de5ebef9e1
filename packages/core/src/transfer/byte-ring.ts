// A bounded queue of bytes with one producer (the thread that receives a download) and several consumer threads
// (the md5 and sha256 threads, see hasher.ts). The producer copies each incoming chunk once into a fixed
// SharedArrayBuffer; every consumer reads the same bytes from there at its own pace, in order, one piece at a time.
// The producer only waits when the slowest consumer is a whole ring behind, so no stage waits for another in lock
// step, and memory is the ring's size whatever the stream's length.
//
// Producer and consumers talk through shared counters (`Atomics`), not messages: the producer publishes how far it
// has written, each consumer how far it has read. Nobody is woken unless it sleeps: a consumer sleeps only when it
// has caught up (and is rung once a minimum piece is waiting), the producer only while the ring is full or it
// drains. A message per piece (what this replaced) woke the consumer's event loop and then the producer's for every
// piece, ~2,500 round trips per 512 MiB with md5 and sha256 (measured; see docs/performance.md).
//
// With no consumers at all, a ring is a reused read buffer: bytes are done with once pushed (ranged parts, which
// go to the file as they are pushed, read their sockets into one; see parts-download.ts).
//
// The producer either copies chunks in (`push`), or lets the socket read straight into the ring (`space`, then
// `commit` for the bytes read there): a chunk pushed that is the ring's own memory at its head is published where
// it is, so a download's bytes are never copied on the receiving thread (ReadBuffers in direct-get.ts).
//
// Pieces are at least MIN_PIECE bytes (or what is left when a drain asks for it), so a fast consumer is not woken
// for every 64 KiB socket read, and at most MAX_PIECE, so space comes back while a slow one works.
//
// Stream positions live in Int32 words, modulo 2^32 (`| 0`): a consumer is never more than the ring's size behind,
// so the difference of two positions is exact however long the stream.

export const RING_MIN_PIECE = 256 * 1024;
export const RING_MAX_PIECE = 1024 * 1024;

/** Where each counter lives in the control words, shared with the consumers' source (workerData). */
export const RING_LAYOUT = {
  /** bytes the producer has published */
  HEAD: 0,
  /** > 0 while a drain runs: consumers take what there is, even less than a minimum piece */
  FLUSH: 1,
  /** how many producer calls wait for a consumer (space, or a drain) */
  WAITING: 2,
  /** bumped (and notified) by a consumer after each piece while the producer waits */
  NOTE: 3,
  /** the producer's command to the consumers (RING_COMMAND) and how many were given: set only after a drain */
  COMMAND: 4,
  COMMANDS: 5,
  /** words of consumer i start at SLOT * (i + 1): its position, whether it sleeps, its bell */
  SLOT: 16,
  DONE: 0,
  SLEEPING: 1,
  BELL: 2,
  MIN: RING_MIN_PIECE,
  MAX: RING_MAX_PIECE,
} as const;

export const RING_COMMAND = { DIGEST: 1, RESET: 2 } as const;

// Atomics.waitAsync (V8, Node >= 16) is in TypeScript's ES2024 library; this project compiles against ES2022.
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/**
 * The consumer's side, as plain CommonJS for a worker's `eval` source: `ringConsumer(ctl, bytes, slot, L, onPiece,
 * onCommand)`, with the ring's control words, its bytes, `slot(i)` and RING_LAYOUT, never returns; it hands each
 * piece to `onPiece` in order and each command to `onCommand`, and blocks in Atomics.wait while there is neither.
 */
export const RING_CONSUMER_SOURCE = `
function ringConsumer(ctl, bytes, slot, L, onPiece, onCommand) {
  const size = bytes.length;
  const DONE = slot + L.DONE, SLEEPING = slot + L.SLEEPING, BELL = slot + L.BELL;
  let done = Atomics.load(ctl, DONE), at = 0, commands = 0;
  const waiting = () => {
    const pending = (Atomics.load(ctl, L.HEAD) - done) | 0;
    return pending > 0 && (pending >= L.MIN || Atomics.load(ctl, L.FLUSH) > 0) ? pending : 0;
  };
  for (;;) {
    const bell = Atomics.load(ctl, BELL);
    const pending = waiting();
    if (pending > 0) {
      const n = Math.min(pending, L.MAX, size - at);
      onPiece(bytes.subarray(at, at + n));
      at = at + n === size ? 0 : at + n;
      done = (done + n) | 0;
      Atomics.store(ctl, DONE, done);
      if (Atomics.load(ctl, L.WAITING) > 0) {
        Atomics.add(ctl, L.NOTE, 1);
        Atomics.notify(ctl, L.NOTE);
      }
      continue;
    }
    const given = Atomics.load(ctl, L.COMMANDS);
    if (given !== commands) {
      commands = given;
      onCommand(Atomics.load(ctl, L.COMMAND));
      continue;
    }
    // Say so before looking a last time: the producer rings only sleepers, and either it sees this flag or this
    // thread sees its bytes (sequentially consistent atomics).
    Atomics.store(ctl, SLEEPING, 1);
    if (waiting() === 0 && Atomics.load(ctl, L.COMMANDS) === commands) Atomics.wait(ctl, BELL, bell);
    Atomics.store(ctl, SLEEPING, 0);
  }
}
`;

export class ByteRing {
  /** the control words (RING_LAYOUT), for the consumers */
  readonly control: SharedArrayBuffer;
  private readonly ctl: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly size: number;
  /** the stream position of the next byte (bytes accepted since the start) */
  private head: number;
  /** where the next byte goes in the ring */
  private at = 0;
  /** the stream position and ring offset past the bytes read into the ring in place and not yet pushed */
  private reserve: number;
  private reserveAt = 0;
  private failure?: unknown;
  private stopped = false;

  /** `start`: the stream position the counters start from (tests start near 2^31 and 2^32 to cross the wraps). */
  constructor(
    readonly buffer: SharedArrayBuffer,
    private readonly consumers: number,
    start = 0,
  ) {
    if (buffer.byteLength < RING_MIN_PIECE) throw new RangeError('ring smaller than one piece');
    this.bytes = new Uint8Array(buffer);
    this.size = buffer.byteLength;
    this.control = new SharedArrayBuffer(4 * RING_LAYOUT.SLOT * (consumers + 1));
    this.ctl = new Int32Array(this.control);
    this.head = start;
    this.reserve = start;
    Atomics.store(this.ctl, RING_LAYOUT.HEAD, start | 0);
    for (let i = 0; i < consumers; i++) Atomics.store(this.ctl, this.slot(i) + RING_LAYOUT.DONE, start | 0);
  }

  /** The offset of consumer `i`'s words, for its source. */
  slot(i: number): number {
    return RING_LAYOUT.SLOT * (i + 1);
  }

  /**
   * Copies the chunks in, or publishes in place those read into the ring (`space`); resolves once they are all in
   * the ring (waits only while it is full).
   */
  async push(chunks: Buffer[]): Promise<void> {
    for (const chunk of chunks) {
      if (this.inPlace(chunk)) {
        this.check();
        this.advance(chunk.length);
        continue;
      }
      // a copy goes to the head: bytes read in place after it would be overwritten
      if (this.reserve !== this.head) throw new Error('ring: a chunk copied in while bytes wait in place');
      let offset = 0;
      while (offset < chunk.length) {
        this.check();
        let free = this.size - this.behind();
        if (free === 0) {
          await this.waitFor(() => this.behind() < this.size);
          free = this.size - this.behind();
        }
        const n = Math.min(free, chunk.length - offset, this.size - this.at);
        this.bytes.set(chunk.subarray(offset, offset + n), this.at);
        offset += n;
        this.advance(n);
        this.release();
      }
    }
    this.check();
  }

  /** Bytes of free ring memory past what was read in place (0 once the ring was stopped or failed). */
  free(): number {
    if (this.failure !== undefined || this.stopped) return 0;
    return this.size - this.behind(this.reserve);
  }

  /**
   * Free ring memory past what was read in place, for the socket's next read: at most `max` bytes, up to the
   * ring's end; undefined when nothing is free. Bytes read there are `commit`ted, then pushed as views of it.
   */
  space(max: number): Buffer | undefined {
    const n = Math.min(max, this.size - this.reserveAt, this.free());
    return n > 0 ? Buffer.from(this.buffer, this.reserveAt, n) : undefined;
  }

  /** `n` bytes were read into the memory `space` gave. */
  commit(n: number): void {
    this.reserve += n;
    this.reserveAt = this.reserveAt + n === this.size ? 0 : this.reserveAt + n;
  }

  /** Forgets bytes read in place that will not be pushed (an attempt that ended): the next read goes to the head. */
  release(): void {
    this.reserve = this.head;
    this.reserveAt = this.at;
  }

  /** Resolves once `free()` is at least `bytes`, or the ring was stopped or failed. */
  async whenFree(bytes: number): Promise<void> {
    await this.waitFor(() => this.free() >= bytes).catch(() => undefined);
  }

  /** Whether the chunk is ring memory at the head, read there in place and not yet pushed. */
  private inPlace(chunk: Buffer): boolean {
    return chunk.buffer === this.buffer && chunk.byteOffset === this.at && this.reserve - this.head >= chunk.length;
  }

  /** Publishes the next `n` bytes at the head. */
  private advance(n: number): void {
    this.at = this.at + n === this.size ? 0 : this.at + n;
    this.head += n;
    this.publish();
    // without consumers the bytes are done with once pushed (a reused read buffer): a wait for room ends here
    if (this.consumers === 0 && Atomics.load(this.ctl, RING_LAYOUT.WAITING) > 0) this.wake();
  }

  /** Resolves when every consumer has handled every byte pushed so far; rejects with the first consumer failure. */
  async drain(): Promise<void> {
    Atomics.add(this.ctl, RING_LAYOUT.FLUSH, 1);
    try {
      this.publish();
      await this.waitFor(() => this.behind() === 0);
      this.check();
    } finally {
      Atomics.sub(this.ctl, RING_LAYOUT.FLUSH, 1);
    }
  }

  /**
   * Gives every consumer a command (RING_COMMAND); only after drain(), so each has taken every byte. The caller
   * awaits their answers. A reset keeps the positions going: the consumers only start new digests there.
   */
  command(kind: number): void {
    if (this.behind() !== 0) throw new Error('command before drain');
    Atomics.store(this.ctl, RING_LAYOUT.COMMAND, kind);
    Atomics.add(this.ctl, RING_LAYOUT.COMMANDS, 1);
    for (let i = 0; i < this.consumers; i++) this.ring(i, true);
  }

  /** A consumer died: the producer's waits end with `error`. */
  fail(error: unknown): void {
    this.failure ??= error ?? new Error('a ring consumer failed');
    this.wake();
  }

  /** Hands out no more bytes; a push or drain waiting for space gives up. */
  stop(): void {
    this.stopped = true;
    this.wake();
  }

  /** How far the slowest consumer is behind the head (or another stream position: at least as far as the head is). */
  private behind(position = this.head): number {
    const head = position | 0;
    let most = position - this.head;
    for (let i = 0; i < this.consumers; i++) {
      const lag = (head - Atomics.load(this.ctl, this.slot(i) + RING_LAYOUT.DONE)) | 0;
      if (lag > most) most = lag;
    }
    return most;
  }

  /** Publishes the head; rings each sleeping consumer that now has a piece to take. */
  private publish(): void {
    const head = this.head | 0;
    Atomics.store(this.ctl, RING_LAYOUT.HEAD, head);
    const flushing = Atomics.load(this.ctl, RING_LAYOUT.FLUSH) > 0;
    for (let i = 0; i < this.consumers; i++) {
      const slot = this.slot(i);
      if (Atomics.load(this.ctl, slot + RING_LAYOUT.SLEEPING) !== 1) continue;
      const pending = (head - Atomics.load(this.ctl, slot + RING_LAYOUT.DONE)) | 0;
      if (pending >= RING_MIN_PIECE || (flushing && pending > 0)) this.ring(i);
    }
  }

  /** Wakes consumer `i` if it sleeps: once per sleep (its flag is taken down here), not once per chunk until it runs. */
  private ring(i: number, always = false): void {
    const slot = this.slot(i);
    if (Atomics.compareExchange(this.ctl, slot + RING_LAYOUT.SLEEPING, 1, 0) !== 1 && !always) return;
    Atomics.add(this.ctl, slot + RING_LAYOUT.BELL, 1);
    Atomics.notify(this.ctl, slot + RING_LAYOUT.BELL);
  }

  /** Waits (without blocking the event loop) until `ready()`, re-checked after every consumer's piece. */
  private async waitFor(ready: () => boolean): Promise<void> {
    Atomics.add(this.ctl, RING_LAYOUT.WAITING, 1);
    try {
      for (;;) {
        this.check();
        const note = Atomics.load(this.ctl, RING_LAYOUT.NOTE);
        if (ready()) return;
        const wait = waitAsync(this.ctl, RING_LAYOUT.NOTE, note);
        if (wait.async) await wait.value;
      }
    } finally {
      Atomics.sub(this.ctl, RING_LAYOUT.WAITING, 1);
    }
  }

  private wake(): void {
    Atomics.add(this.ctl, RING_LAYOUT.NOTE, 1);
    Atomics.notify(this.ctl, RING_LAYOUT.NOTE);
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.stopped) throw new Error('the ring was stopped');
  }
}
