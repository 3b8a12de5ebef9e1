// JSON API calls: any HTTP status is an answer for the backend to interpret; only the transport can fail, and
// then with a one-line UserError. Idempotent calls are retried on transient failures.
import type { AxiosResponse } from 'axios';
import { isUserError, UserError } from '../errors';
import {
  agents,
  checkUrl,
  DEFAULT_MAX_REDIRECTS,
  defaultRetryMaxTimeMs,
  defaultSpeedLimit,
  defaultSpeedTimeMs,
  defaultTimeoutMs,
  headerValue,
  outgoingHeaders,
  sendFollowingRedirects,
} from './http-client';
import { errorBodyForDebug, toJsonResponse } from './json-body';
import { isTransientNetworkError, networkError } from './net-errors';
import { redactUrl, urlOrigin } from './redact';
import { backoffDelay, cancelled, DEFAULT_MAX_RETRY_AFTER_MS, parseRetryAfter, sleep } from './retry';
import { watchAnswer } from './speed-floor';
import type { JsonRequest, JsonResponse } from './types';

/** Methods that may be repeated without changing the outcome (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
const GATEWAY = new Set([502, 503, 504]);
/** A JSON answer larger than this is a server problem, not something to hold in memory. */
const MAX_BODY = 64 * 1024 * 1024;

export async function requestJson<T = unknown>(req: JsonRequest): Promise<JsonResponse<T>> {
  const method = req.method ?? 'GET';
  checkUrl(req.url);
  const retries = IDEMPOTENT.has(method) ? Math.max(0, req.retries ?? 2) : 0;
  const timeoutMs = req.timeoutMs ?? defaultTimeoutMs();
  const speedLimit = defaultSpeedLimit();
  const speedTimeMs = defaultSpeedTimeMs();
  const maxWait = req.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const extra: Record<string, string> = { Accept: 'application/json, text/plain, */*' };
  if (req.json !== undefined) extra['Content-Type'] = 'application/json';
  const headers = outgoingHeaders(req.headers, extra);
  const data = req.json === undefined ? undefined : JSON.stringify(req.json);
  const follow = method === 'GET' || method === 'HEAD';
  const started = Date.now();
  const maxRetryTime = req.maxRetryTimeMs ?? defaultRetryMaxTimeMs();
  const inTime = (wait: number) => Date.now() - started + wait <= maxRetryTime;

  for (let attempt = 0; ; attempt++) {
    if (req.signal?.aborted) throw cancelled(req.signal, 'request');
    const canRetry = attempt < retries;
    let response: AxiosResponse;
    // the idle timeout resets on every byte: only the speed floor ends an answer that drips
    const watch = watchAnswer(req.signal, speedLimit, speedTimeMs);
    try {
      ({ response } = await sendFollowingRedirects(
        {
          url: req.url,
          method,
          headers,
          data,
          timeout: timeoutMs,
          signal: watch.signal,
          onDownloadProgress: (event) => watch.progress(event.loaded),
          responseType: 'arraybuffer',
          maxContentLength: MAX_BODY,
          ...agents({ insecure: req.insecure }),
        },
        {
          maxRedirects: follow ? (req.maxRedirects ?? DEFAULT_MAX_REDIRECTS) : 0,
          debug: req.debug,
          plainHttpSetting: req.plainHttpSetting,
        },
      ));
    } catch (error) {
      watch.stop();
      if (req.signal?.aborted) throw cancelled(req.signal, 'request');
      if (watch.tripped) {
        throw new UserError(`the answer from ${urlOrigin(req.url)} stayed slower than ${speedLimit} bytes/s for ${speedTimeMs / 1000} s`, {
          fix: 'try again later; on a slow link raise SREGISTRY_SPEED_TIME (seconds) or lower SREGISTRY_SPEED_LIMIT (bytes/s, 0 = no limit)',
          code: 'ESLOW',
        });
      }
      if (isUserError(error)) throw error;
      if (/maxContentLength/.test(String((error as Error)?.message))) {
        throw new UserError(`the answer from ${urlOrigin(req.url)} is larger than ${MAX_BODY / 1024 / 1024} MiB`, {
          fix: 'check the URL; this does not look like an API answer',
          code: 'ETOOLARGE',
        });
      }
      const wait = backoffDelay(attempt, req.backoffMs);
      if (canRetry && isTransientNetworkError(error, attempt > 0) && inTime(wait)) {
        req.debug?.(
          `${method} ${redactUrl(req.url)} failed (${networkError(error, req.url).message}); retry ${attempt + 1}/${retries} in ${wait} ms`,
        );
        await sleep(wait, req.signal);
        continue;
      }
      throw networkError(error, req.url, {
        timeoutMs,
        waitedMs: Date.now() - started,
        attempts: attempt + 1,
        plainHttpSetting: req.plainHttpSetting,
      });
    }
    watch.stop();

    const status = response.status;
    req.debug?.(
      `<- ${status} ${response.statusText ?? ''} (${(response.data as Buffer | undefined)?.length ?? 0} bytes)${errorBodyForDebug(status, response.data)}`,
    );
    if (canRetry && (GATEWAY.has(status) || status === 429)) {
      const retryAfter = parseRetryAfter(headerValue(response, 'retry-after'));
      // 429 is retried only when the server says when; a wait longer than the cap is left to the caller.
      const retry = status === 429 ? retryAfter !== undefined && retryAfter <= maxWait : retryAfter === undefined || retryAfter <= maxWait;
      const wait = retryAfter ?? backoffDelay(attempt, req.backoffMs);
      if (retry && inTime(wait)) {
        req.debug?.(`${method} ${redactUrl(req.url)} answered ${status}; retry ${attempt + 1}/${retries} in ${wait} ms`);
        await sleep(wait, req.signal);
        continue;
      }
    }
    return toJsonResponse<T>(response);
  }
}
