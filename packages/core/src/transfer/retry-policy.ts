// The host's retry policy (host API 1.3.0): the downloads' attempts, time budget, retried statuses and waits,
// handed to a backend that must repeat a whole step itself (an upload session core cannot resend for it).
import type { RetryPolicy } from '../contracts/host';
import { defaultRetryMaxTimeMs } from './http-client';
import { isTransientNetworkError } from './net-errors';
import { backoffDelay, DEFAULT_MAX_RETRY_AFTER_MS, parseRetryAfter, sleep } from './retry';
import { isRetryableStatus } from './status-errors';

/** The downloads' default number of retries (download.ts). */
const RETRIES = 4;

export function retryPolicy(): RetryPolicy {
  return Object.freeze<RetryPolicy>({
    retries: RETRIES,
    maxTimeMs: defaultRetryMaxTimeMs(),
    retryableStatus: isRetryableStatus,
    transientError: (error, retrying = false) => isTransientNetworkError(error, retrying),
    delayMs: (retry, retryAfter) => {
      const asked = parseRetryAfter(retryAfter);
      return asked !== undefined && asked <= DEFAULT_MAX_RETRY_AFTER_MS ? asked : backoffDelay(retry);
    },
    sleep,
  });
}
