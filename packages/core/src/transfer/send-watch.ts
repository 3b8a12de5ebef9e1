// What every upload watches while its body is sent (the registry's multipart POST, a presigned PUT, one part of a
// multipart upload): the bytes handed to the connection, progress by them, and the two timeouts — no byte taken
// for `timeoutMs` while sending, no answer within `answerTimeoutMs` once everything is sent. One mechanism, so
// every upload reports and gives up the same way.
import { performance } from 'node:perf_hooks';
import { Transform } from 'node:stream';
import { UserError } from '../errors';
import { urlOrigin } from './redact';

const PROGRESS_INTERVAL_MS = 100;

export interface SendWatchOptions {
  total: number;
  timeoutMs: number;
  answerTimeoutMs: number;
  /** the caller's signal: aborting it aborts the request too */
  signal?: AbortSignal;
  onProgress?: (sent: number, total: number) => void;
  /** called with the running count for every chunk handed on (test pause points) */
  onBytes?: (sent: number) => void;
}

export class SendWatch {
  sent = 0;
  sentAll: boolean;
  timedOut: 'sending' | 'answer' | undefined;
  /** our own abort, for the two timeouts, chained to the caller's signal; give its signal to the request */
  readonly controller = new AbortController();
  /** counts where the request pulls the bytes, so progress follows the connection, not the disk */
  readonly counter: Transform;
  private lastReport = 0;
  private reported = -1;
  private readonly watchdog: NodeJS.Timeout;
  private readonly onCallerAbort = () => this.controller.abort(this.options.signal?.reason);

  constructor(private readonly options: SendWatchOptions) {
    this.sentAll = options.total === 0;
    options.signal?.addEventListener('abort', this.onCallerAbort, { once: true });
    this.counter = new Transform({
      highWaterMark: 64 * 1024,
      transform: (chunk: Buffer, _encoding, callback) => {
        this.sent += chunk.length;
        options.onBytes?.(this.sent);
        this.report(false);
        callback(null, chunk);
      },
    });
    this.counter.once('end', () => {
      this.sentAll = true;
      this.report(true);
    });
    let seen = -1;
    let lastChange = performance.now();
    let endedAt = 0;
    const { timeoutMs, answerTimeoutMs } = options;
    this.watchdog = setInterval(
      () => {
        const now = performance.now();
        if (this.sent !== this.reported) this.report(false); // bytes sent just before a pause still reach the display
        if (this.sentAll) {
          endedAt ||= now;
          if (now - endedAt >= answerTimeoutMs) {
            this.timedOut = 'answer';
            this.controller.abort();
          }
        } else if (this.sent !== seen) {
          seen = this.sent;
          lastChange = now;
        } else if (now - lastChange >= timeoutMs) {
          this.timedOut = 'sending';
          this.controller.abort();
        }
      },
      Math.max(20, Math.min(PROGRESS_INTERVAL_MS, Math.min(timeoutMs, answerTimeoutMs) / 4)),
    );
  }

  /** progress to the caller, at most every 100 ms unless forced */
  report(force: boolean): void {
    const { onProgress, total } = this.options;
    if (!onProgress) return;
    const now = performance.now();
    if (!force && now - this.lastReport < PROGRESS_INTERVAL_MS) return;
    this.lastReport = now;
    this.reported = this.sent;
    onProgress(this.sent, total);
  }

  /** the one-line error when a timeout ended the request (`peer` names the other side in the fix: "registry") */
  timeoutError(url: string, peer: string): UserError | undefined {
    if (this.timedOut === 'sending') {
      return new UserError(`the upload to ${urlOrigin(url)} made no progress for ${Math.round(this.options.timeoutMs / 1000)} s`, {
        fix: `check your network connection and that the ${peer} is up, then push again`,
        code: 'ETIMEOUT',
      });
    }
    if (this.timedOut === 'answer') {
      return new UserError(
        `${urlOrigin(url)} did not answer within ${Math.round(this.options.answerTimeoutMs / 1000)} s after the upload`,
        {
          fix: `check on the ${peer} whether the image arrived before pushing again`,
          code: 'ETIMEOUT',
        },
      );
    }
    return undefined;
  }

  stop(): void {
    clearInterval(this.watchdog);
    this.options.signal?.removeEventListener('abort', this.onCallerAbort);
  }
}
