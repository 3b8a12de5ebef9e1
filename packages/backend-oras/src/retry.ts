// Repeats one step of a push (a whole blob upload session, the manifest PUT) under the host's one retry policy:
// 408/429/5xx answers and dropped or reset connections are retried a bounded number of times within
// SREGISTRY_RETRY_MAX_TIME; any other answer (401/403, DIGEST_INVALID, …) ends the push at once.
import type { BackendContext } from '@sregistry/core';
import type { Host } from './host';

/** A failed attempt the registry may do better a moment later: `error` is what the user sees if none does. */
export class Retryable extends Error {
  constructor(
    readonly error: Error,
    readonly retryAfter?: string,
  ) {
    super(error.message);
  }
}

export async function withRetries<T>(
  host: Host,
  log: BackendContext['log'],
  what: string,
  signal: AbortSignal | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  // a core before host API 1.3.0 has no retry policy: one attempt, as pushes were then
  const policy = hasRetryPolicy(host) ? host.retryPolicy() : undefined;
  if (!policy) {
    return attempt().catch((thrown: unknown) => {
      throw thrown instanceof Retryable ? thrown.error : thrown;
    });
  }
  const started = Date.now();
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (thrown) {
      if (signal?.aborted) throw thrown;
      const failed =
        thrown instanceof Retryable ? thrown : policy.transientError(thrown, retry > 0) ? new Retryable(thrown as Error) : undefined;
      if (!failed) throw thrown;
      const wait = policy.delayMs(retry, failed.retryAfter);
      if (retry >= policy.retries || Date.now() - started + wait > policy.maxTimeMs) {
        throw retry === 0
          ? failed.error
          : new host.UserError(`${failed.error.message} (${retry + 1} attempts)`, {
              fix: host.isUserError(failed.error) ? failed.error.fix : 'try again later',
              code: host.isUserError(failed.error) ? failed.error.code : 'EHTTP',
              cause: failed.error,
            });
      }
      log.debug(`oras: ${what} failed (${failed.error.message}); retry ${retry + 1}/${policy.retries} in ${wait} ms`);
      await policy.sleep(wait, signal);
    }
  }
}

/** Whether the host has a retry policy (host API 1.3.0). */
export const hasRetryPolicy = (host: Host) => typeof host.retryPolicy === 'function';

/** Whether the host's policy retries `status` (false on a core without one: the answer is final). */
export function retryableStatus(host: Host, status: number): boolean {
  return hasRetryPolicy(host) && host.retryPolicy().retryableStatus(status);
}
