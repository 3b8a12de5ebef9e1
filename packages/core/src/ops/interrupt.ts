/**
 * Aborted on Ctrl-C (SIGINT), so a transfer stops cleanly and removes what it started. The handler is installed on
 * the first `signal` only: a command that never asks for it keeps Node's default (exit at once). `release` takes the
 * handler down again once the command is over (unless Ctrl-C came: see there). Shared by the oclif command base and the CLI's fast path.
 */
export class Interrupt {
  private controller?: AbortController;
  private readonly stop = () => this.controller?.abort();

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      // `on`, not `once`: a second Ctrl-C while the command undoes its change (a temp copy of gigabytes to delete,
      // an intent to drop, a slow fsync to wait for) must not kill it halfway, silently, leaving the copy behind
      // and the intent for the next command to roll forward; aborting again changes nothing
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
