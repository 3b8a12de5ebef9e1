/**
 * Aborted on Ctrl-C (SIGINT), so a transfer stops cleanly and removes what it started. The handler is installed on
 * the first `signal` only: a command that never asks for it keeps Node's default (exit at once). `release` takes the
 * handler down again once the command is over. Shared by the oclif command base and the CLI's fast path.
 */
export class Interrupt {
  private controller?: AbortController;
  private readonly stop = () => this.controller?.abort();

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      process.once('SIGINT', this.stop);
    }
    return this.controller.signal;
  }

  release(): void {
    if (this.controller) process.off('SIGINT', this.stop);
  }
}
