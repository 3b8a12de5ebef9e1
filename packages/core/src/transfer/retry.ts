// Timing of retries: exponential backoff, the server's Retry-After, and waits that end at once on abort.
import { setTimeout as delay } from 'node:timers/promises';
import { isUserError, UserError } from '../errors';

export const DEFAULT_BACKOFF_MS = 500;
export const MAX_BACKOFF_MS = 8_000;
export const DEFAULT_MAX_RETRY_AFTER_MS = 30_000;

/** Wait before retry number `retry` (0 for the first retry): base, doubled each time, capped. */
export function backoffDelay(retry: number, baseMs = DEFAULT_BACKOFF_MS): number {
  return Math.min(baseMs * 2 ** retry, Math.max(MAX_BACKOFF_MS, baseMs));
}

/**
 * The start of the three HTTP-date forms (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 …`, `Sunday, 06-Nov-94 …`,
 * `Sun Nov  6 … 1994`. Date.parse alone reads far more (`-5` is the year -5, `2` a date in 2001).
 */
const HTTP_DATE = /^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s/i;

/**
 * Retry-After as ms (delta-seconds, a fraction tolerated, or an HTTP date); undefined when absent or unusable,
 * so the caller's own backoff applies. Unusable: anything else (`-5`, `soon`), and a date that is not in the
 * future, which a server whose clock is behind ours sends on every answer: read as "now", it had every retry
 * sent at once (six GETs in 0.16 s for `Retry-After: -5`).
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!HTTP_DATE.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) || date <= now ? undefined : date - now;
}

/** Sleeps, or rejects with the cancellation error as soon as `signal` aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return;
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    if (signal?.aborted) throw cancelled(signal, 'transfer');
    throw error;
  }
}

/**
 * The error a cancelled transfer rejects with: the caller's own reason when it is a UserError (e.g. its own
 * deadline), else `<what> cancelled`.
 */
export function cancelled(signal: AbortSignal, what: string): UserError {
  if (isUserError(signal.reason)) return signal.reason;
  return new UserError(`${what} cancelled`, { code: 'ECANCELLED', exitCode: 130 });
}
