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

/**
 * The floor for a request whose answer is read whole (JSON): an AbortSignal that fires, with `tripped` set,
 * once the answer's bytes stay below the floor for the window. `stop()` when the answer is in.
 */
export interface AnswerWatch {
  readonly signal: AbortSignal;
  progress(loaded: number): void;
  readonly tripped: boolean;
  stop(): void;
}

export function watchAnswer(parent: AbortSignal | undefined, limit: number, windowMs: number): AnswerWatch {
  const controller = new AbortController();
  const floor = new SpeedFloor(limit, windowMs);
  const state = { loaded: 0, tripped: false };
  const forward = () => controller.abort(parent?.reason);
  if (parent?.aborted) forward();
  parent?.addEventListener('abort', forward, { once: true });
  const timer =
    limit > 0
      ? setInterval(
          () => {
            if (!floor.tooSlow(state.loaded, performance.now())) return;
            state.tripped = true;
            controller.abort(new Error('below the speed floor'));
          },
          Math.max(20, Math.min(250, windowMs / 8)),
        )
      : undefined;
  return {
    signal: controller.signal,
    progress: (loaded: number) => {
      state.loaded = loaded;
    },
    get tripped() {
      return state.tripped;
    },
    stop: () => {
      if (timer) clearInterval(timer);
      parent?.removeEventListener('abort', forward);
    },
  };
}
