/** The engine error code behind a TypeORM QueryFailedError (or a raw driver error). */
export function errorCode(error: unknown): string | undefined {
  const e = error as { driverError?: { code?: unknown }; code?: unknown } | undefined;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Another connection holds the lock (SQLite) or a serialisation failure (PostgreSQL). */
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

/**
 * Runs `work` again while it fails with an error `retryable` accepts. The busy timeout already makes SQLite
 * wait for locks, but a deferred transaction whose snapshot went stale fails at once (SQLITE_BUSY_SNAPSHOT),
 * and a unique-constraint race must be replayed so that it becomes an update.
 */
export async function withRetry<T>(work: () => Promise<T>, retryable: (error: unknown) => boolean, attempts = 25): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !retryable(error)) throw error;
      const backoff = Math.min(250, 5 * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, backoff / 2 + Math.random() * backoff));
    }
  }
}
