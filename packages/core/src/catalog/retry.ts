/** The engine error code behind a TypeORM QueryFailedError (or a raw driver error). */
export function errorCode(error: unknown): string | undefined {
  const e = error as { driverError?: { code?: unknown }; code?: unknown } | undefined;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Another connection holds the lock (SQLite), or PostgreSQL aborted the transaction for a serialisation failure
 * (40001) or a deadlock (40P01): both mean "run it again". PostgreSQL's row-lock waits happen in the server and
 * end there (lock_timeout, 55P03), so they are not retried here.
 */
export function isBusy(error: unknown): boolean {
  const code = errorCode(error) ?? '';
  return /^SQLITE_(BUSY|LOCKED)/.test(code) || code === '40001' || code === '40P01';
}

export function isUniqueViolation(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** A concurrent creation of the schema: the other process won, a retry will find the table. */
export function isAlreadyExists(error: unknown): boolean {
  return /already exists/i.test(String((error as Error)?.message ?? ''));
}

export interface RetryOptions {
  /** attempts for errors that are not lock waits (unique-constraint races) */
  attempts?: number;
  /** lock waits (busy) are retried until this much time passed */
  busyTimeoutMs?: number;
  /** called once when lock waits passed `noticeAfterMs` */
  onBusyWait?: () => void;
  noticeAfterMs?: number;
  /** told how long the lock waits took, when giving up */
  onGiveUp?: (waitedMs: number) => void;
}

/**
 * Runs `work` again while it fails with an error `retryable` accepts. SQLite's own busy timeout is short (the
 * driver blocks the event loop while it waits), so lock waits are retried here, up to `busyTimeoutMs`, which lets
 * the caller tell the user after a while. A deferred transaction whose snapshot went stale fails at once
 * (SQLITE_BUSY_SNAPSHOT), and a unique-constraint race must be replayed so that it becomes an update. The same
 * loop replays PostgreSQL transactions that the server aborted (see isBusy).
 */
export async function withRetry<T>(work: () => Promise<T>, retryable: (error: unknown) => boolean, options: RetryOptions = {}): Promise<T> {
  const { attempts = 25, busyTimeoutMs = 30_000, noticeAfterMs = 2_000 } = options;
  const started = Date.now();
  let noticed = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const waited = Date.now() - started;
      const busy = isBusy(error);
      if (!retryable(error) || (busy ? waited >= busyTimeoutMs : attempt >= attempts)) {
        if (busy) options.onGiveUp?.(waited);
        throw error;
      }
      if (busy && !noticed && waited >= noticeAfterMs) {
        noticed = true;
        options.onBusyWait?.();
      }
      const backoff = Math.min(250, 5 * 2 ** Math.min(attempt, 10));
      await new Promise((resolve) => setTimeout(resolve, backoff / 2 + Math.random() * backoff));
    }
  }
}
