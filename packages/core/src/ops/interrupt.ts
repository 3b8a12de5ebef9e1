/**
 * Aborted on Ctrl-C (SIGINT), so a transfer stops cleanly and removes what it started. The handler is installed on
 * the first `signal` only: a command that never asks for it keeps Node's default (exit at once). `release` takes the
 * handler down again once the command is over. Shared by the oclif command base and the CLI's fast path.
 *
 * After the first SIGINT the handler stays for a few seconds, taking further ones: the cleanup the abort starts (an
 * upload session's DELETE, a temp file's removal) must not be killed half-way by a second Ctrl-C pressed at once,
 * or by the second copy `timeout -s INT` sends (to the command and to its process group). A Ctrl-C after that
 * grace ends the process as Node's default does, so a cleanup that hangs can still be interrupted.
 */
export class Interrupt {
  private controller?: AbortController;
  private grace?: NodeJS.Timeout;
  private readonly stop = () => {
    if (!this.controller || this.controller.signal.aborted) return;
    this.controller.abort();
    this.grace = setTimeout(() => process.off('SIGINT', this.stop), INTERRUPT_GRACE_MS);
    // the grace never keeps a finished command's process alive
    this.grace.unref();
  };

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      process.on('SIGINT', this.stop);
    }
    return this.controller.signal;
  }

  release(): void {
    if (this.controller) process.off('SIGINT', this.stop);
    clearTimeout(this.grace);
  }
}

/** How long after the first Ctrl-C further ones are taken while the command cleans up. */
export const INTERRUPT_GRACE_MS = 3000;
