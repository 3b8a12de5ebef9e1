/**
 * Calls `onIdle` when `poke` was not called for `ms` (0 or less: never), for a body read piece by piece: one timer
 * re-armed in place on every piece, instead of a timer per piece. The streamed download has a coarse watchdog of its
 * own (download.ts), because the same tick also drives its progress and its speed floor.
 */
export class IdleWatch {
  private readonly timer: NodeJS.Timeout | undefined;
  constructor(ms: number, onIdle: () => void) {
    this.timer = ms > 0 ? setTimeout(onIdle, ms) : undefined;
  }
  poke(): void {
    this.timer?.refresh();
  }
  stop(): void {
    clearTimeout(this.timer);
  }
}
