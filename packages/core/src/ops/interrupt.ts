/**
 * Aborted on Ctrl-C (SIGINT), so a transfer stops cleanly and removes what it started. The handler is installed on
 * the first `signal` only: a command that never asks for it keeps Node's default (exit at once). `release` takes the
 * handler down again once the command is over, unless Ctrl-C came. Shared by the oclif command base and the CLI's
 * fast path.
 *
 * After the first SIGINT the handler stays, `on` and not `once`: the cleanup the abort starts (an upload session's
 * DELETE, a temp copy of gigabytes to remove, an intent to drop, a slow fsync to wait for) must not be killed
 * half-way, silently, by a second Ctrl-C pressed at once or by the second copy `timeout -s INT` sends (to the
 * command and to its process group). Further ones within a few seconds are taken and change nothing; one after
 * that grace ends the process with a line saying so (exit 130), so a cleanup that hangs can still be interrupted,
 * and the catalogue's journal lets the next command finish or undo what was left.
 */
export class Interrupt {
  private controller?: AbortController;
  private abortedAt?: number;
  private readonly stop = () => {
    if (!this.controller) return;
    if (!this.controller.signal.aborted) {
      this.abortedAt = Date.now();
      this.controller.abort();
      return;
    }
    if (Date.now() - (this.abortedAt ?? 0) < INTERRUPT_GRACE_MS) return;
    process.stderr.write('WARNING interrupted again: quitting before the cleanup finished (the next command finishes or undoes it)\n');
    process.exit(130);
  };

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      process.on('SIGINT', this.stop);
    }
    return this.controller.signal;
  }

  /**
   * After a Ctrl-C the handler stays: the command is ending its own way (its cancel line, exit 130, or the success of
   * a change that was past giving up) and a further Ctrl-C must not cut that short with a silent death by SIGINT.
   */
  release(): void {
    if (this.controller && !this.controller.signal.aborted) process.off('SIGINT', this.stop);
  }
}

/** How long after the first Ctrl-C further ones are taken while the command cleans up. */
export const INTERRUPT_GRACE_MS = 3000;
