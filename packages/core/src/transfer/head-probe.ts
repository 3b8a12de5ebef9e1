// The first bytes of a download, shown once to the caller's check (is this an image at all?) while the rest is
// still coming, so that a never-ending HTML page or a stream of zeros is refused at once, not after gigabytes.
import type { Readable } from 'node:stream';

/** Enough for every format check of the SIF reader (2 KiB prefix, ext superblock after a launch line). */
export const HEAD_BYTES = 8192;

export class HeadProbe {
  private chunks: Buffer[] = [];
  private length = 0;
  private verdict: Promise<void> | undefined;

  constructor(private readonly check: ((head: Buffer, announced: number | undefined) => void | Promise<void>) | undefined) {}

  /** A download that starts over from byte 0 starts the head over too, unless the check already ran. */
  restart(): void {
    if (this.verdict) return;
    this.chunks = [];
    this.length = 0;
  }

  /** Watches `body`; when the head is complete the check runs, and a refusal destroys the body with its error. */
  watch(body: Readable, announced: number | undefined): void {
    if (!this.wants()) return;
    const onData = (chunk: Buffer) => {
      if (!this.feed(chunk, announced, (error) => body.destroy(error as Error))) body.off('data', onData);
    };
    body.on('data', onData);
  }

  /** Whether the check still waits for bytes. */
  wants(): boolean {
    return this.check !== undefined && this.verdict === undefined;
  }

  /**
   * One chunk of the body, in order (for a body that is not a stream); false once the check has what it needs.
   * A refusal goes to `fail`.
   */
  feed(chunk: Buffer, announced: number | undefined, fail: (error: unknown) => void): boolean {
    if (!this.wants()) return false;
    // a copy of what the check needs: the chunk may be ring memory that is reused once hashed (direct-get.ts)
    const kept = Buffer.from(chunk.subarray(0, HEAD_BYTES - this.length));
    this.chunks.push(kept);
    this.length += kept.length;
    if (this.length < HEAD_BYTES) return true;
    this.run(announced).catch(fail);
    return false;
  }

  /** At the end of the body: runs the check on a short body (or an empty one) and waits for its verdict. */
  async settle(announced: number | undefined): Promise<void> {
    if (!this.check) return;
    await this.run(announced);
  }

  private run(announced: number | undefined): Promise<void> {
    this.verdict ??= Promise.resolve().then(() => this.check!(Buffer.concat(this.chunks).subarray(0, HEAD_BYTES), announced));
    return this.verdict;
  }
}
