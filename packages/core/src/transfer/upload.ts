// Streamed multipart upload (the registry's `POST /upload`): exact Content-Length, flat memory, progress by bytes
// handed to the connection, and no retries: a POST that may have been stored must not be sent twice.
import fs from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { pipeline, Transform } from 'node:stream';
import { isUserError, UserError } from '../errors';
import { pauseAtBytes, pausePoint } from '../testing-hooks';
import { agents, checkUrl, DEFAULT_TIMEOUT_MS, outgoingHeaders, sendFollowingRedirects } from './http-client';
import { toJsonResponse } from './json-body';
import { buildMultipart, FileChangedError } from './multipart';
import { networkError } from './net-errors';
import { redactUrl, urlOrigin } from './redact';
import { cancelled } from './retry';
import type { JsonResponse, UploadRequest } from './types';

const DEFAULT_ANSWER_TIMEOUT_MS = 600_000;
const PROGRESS_INTERVAL_MS = 100;
const MAX_ANSWER = 64 * 1024 * 1024;

export async function uploadMultipart<T = unknown>(req: UploadRequest): Promise<JsonResponse<T>> {
  checkUrl(req.url);
  if (req.signal?.aborted) throw cancelled(req.signal, 'upload');
  let size: number;
  try {
    const stat = await fs.stat(req.file.path);
    if (!stat.isFile()) throw new Error('not a regular file');
    size = stat.size;
  } catch (error) {
    throw new UserError(`cannot read ${req.file.path}`, { fix: 'give the path of an existing image file', code: 'ENOFILE', cause: error });
  }

  const body = buildMultipart(req.fields, req.file, size);
  const total = body.contentLength;
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const answerTimeoutMs = req.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS;
  // Field values are never logged: SREGISTRY_EVENT carries the upload signature.
  req.debug?.(
    `upload ${req.file.filename} (${size} bytes) as ${req.file.field}, fields ${req.fields.map((f) => f.name).join(', ') || '-'}; Content-Length ${total}`,
  );

  // Our own abort, for the two timeouts, chained to the caller's signal.
  const controller = new AbortController();
  const onCallerAbort = () => controller.abort(req.signal?.reason);
  req.signal?.addEventListener('abort', onCallerAbort, { once: true });

  const source = body.stream();
  let sent = 0;
  let sentAll = false;
  let lastReport = 0;
  let reported = -1;
  const report = (force: boolean) => {
    if (!req.onProgress) return;
    const now = performance.now();
    if (!force && now - lastReport < PROGRESS_INTERVAL_MS) return;
    lastReport = now;
    reported = sent;
    req.onProgress(sent, total);
  };
  // Counted where the request pulls the bytes, so progress follows the connection, not the disk.
  const counter = new Transform({
    highWaterMark: 64 * 1024,
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      pauseAtBytes('upload-bytes', sent);
      report(false);
      callback(null, chunk);
    },
  });
  counter.once('end', () => {
    sentAll = true;
    report(true);
  });
  const data = pipeline(source, counter, () => undefined);

  let timedOut: 'sending' | 'answer' | undefined;
  let seen = -1;
  let lastChange = performance.now();
  let endedAt = 0;
  const watchdog = setInterval(
    () => {
      const now = performance.now();
      if (sent !== reported) report(false); // bytes sent just before a pause still reach the display
      if (sentAll) {
        endedAt ||= now;
        if (now - endedAt >= answerTimeoutMs) {
          timedOut = 'answer';
          controller.abort();
        }
      } else if (sent !== seen) {
        seen = sent;
        lastChange = now;
      } else if (now - lastChange >= timeoutMs) {
        timedOut = 'sending';
        controller.abort();
      }
    },
    Math.max(20, Math.min(PROGRESS_INTERVAL_MS, Math.min(timeoutMs, answerTimeoutMs) / 4)),
  );

  try {
    report(true);
    const { response } = await sendFollowingRedirects(
      {
        url: req.url,
        method: 'POST',
        headers: outgoingHeaders(req.headers, {
          Accept: 'application/json, text/plain, */*',
          'Content-Type': body.contentType,
          'Content-Length': String(total),
        }),
        data,
        responseType: 'arraybuffer',
        maxContentLength: MAX_ANSWER,
        signal: controller.signal,
        // A fresh connection: a pooled keep-alive socket the server closed meanwhile would fail a POST that
        // cannot be retried.
        ...agents({ insecure: req.insecure, keepAlive: false }),
      },
      { maxRedirects: 0, debug: req.debug },
    );
    req.debug?.(`<- ${response.status} ${response.statusText ?? ''} after sending ${sent} of ${total} bytes`);
    pausePoint('upload-answered');
    return toJsonResponse<T>(response);
  } catch (error) {
    if (req.signal?.aborted) throw cancelled(req.signal, 'upload');
    if (timedOut === 'sending') {
      throw new UserError(`the upload to ${urlOrigin(req.url)} made no progress for ${Math.round(timeoutMs / 1000)} s`, {
        fix: 'check your network connection and that the registry is up, then push again',
        code: 'ETIMEOUT',
      });
    }
    if (timedOut === 'answer') {
      throw new UserError(`${urlOrigin(req.url)} did not answer within ${Math.round(answerTimeoutMs / 1000)} s after the upload`, {
        fix: 'check on the registry whether the image arrived before pushing again',
        code: 'ETIMEOUT',
      });
    }
    const changed = findCause(error, FileChangedError);
    if (changed) {
      throw new UserError(`${req.file.path} changed while it was uploaded`, {
        fix: 'do not modify the image while pushing it, then push again',
        code: 'EFILECHANGED',
        cause: error,
      });
    }
    if (isUserError(error)) throw error;
    req.debug?.(`upload to ${redactUrl(req.url)} failed after ${sent} of ${total} bytes`);
    throw networkError(error, req.url, { timeoutMs });
  } finally {
    clearInterval(watchdog);
    req.signal?.removeEventListener('abort', onCallerAbort);
    data.destroy();
    source.destroy();
  }
}

function findCause<E extends Error>(error: unknown, type: new (...args: never[]) => E): E | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof type) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
