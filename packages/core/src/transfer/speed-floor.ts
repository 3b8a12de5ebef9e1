// curl's --speed-limit/--speed-time for one attempt: the average speed over the last `windowMs` must reach
// `limit` bytes a second. The idle timeout resets on every byte, so only this ends a server that drips.

export class SpeedFloor {
  private samples: { at: number; position: number }[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Records the byte count at `now` (ms); true when the attempt has been too slow for a whole window. */
  tooSlow(position: number, now: number): boolean {
    if (this.limit <= 0) return false;
    this.samples.push({ at: now, position });
    // keep one sample at least a window old as the baseline
    while (this.samples.length > 1 && this.samples[1]!.at <= now - this.windowMs) this.samples.shift();
    const base = this.samples[0]!;
    const span = now - base.at;
    return span >= this.windowMs && ((position - base.position) * 1000) / span < this.limit;
  }
}
