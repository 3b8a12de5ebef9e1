// A raw request body streamed from a file, or from a byte range of it (a presigned PUT to object storage, one
// part of a multipart upload): exact Content-Length, flat memory, progress by bytes handed to the connection, no
// redirects and no retries (whether to ask for a fresh URL and send again is the caller's decision).
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pipeline, Transform } from 'node:stream';
import { isUserError, UserError } from '../errors';
import { agents, checkUrl, DEFAULT_TIMEOUT_MS, outgoingHeaders, sendFollowingRedirects } from './http-client';
import { toJsonResponse } from './json-body';
import { networkError } from './net-errors';
import { redactUrl, urlOrigin } from './redact';
import { cancelled } from './retry';
import type { FileUploadRequest, JsonResponse } from './types';

const DEFAULT_ANSWER_TIMEOUT_MS = 600_000;
const PROGRESS_INTERVAL_MS = 100;
const MAX_ANSWER = 1024 * 1024;

export async function uploadFile<T = unknown>(req: FileUploadRequest): Promise<JsonResponse<T>> {
  checkUrl(req.url);
  if (req.signal?.aborted) throw cancelled(req.signal, 'upload');
  let size: number;
  try {
    const stat = await fs.promises.stat(req.file);
    if (!stat.isFile()) throw new Error('not a regular file');
    size = stat.size;
  } catch (error) {
    throw new UserError(`cannot read ${req.file}`, { fix: 'give the path of an existing image file', code: 'ENOFILE', cause: error });
  }
  const start = req.start ?? 0;
  const end = req.end ?? size;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > size) {
    throw new UserError(`cannot send bytes ${start}-${end} of ${req.file}, which has ${size}`, {
      fix: 'do not modify the image while pushing it, then push again',
      code: 'EFILECHANGED',
    });
  }
  const total = end - start;
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const answerTimeoutMs = req.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS;
  const method = req.method ?? 'PUT';

  const controller = new AbortController();
  const onCallerAbort = () => controller.abort(req.signal?.reason);
  req.signal?.addEventListener('abort', onCallerAbort, { once: true });

  let sent = 0;
  let sentAll = total === 0;
  let lastReport = 0;
  const report = (force: boolean) => {
    if (!req.onProgress) return;
    const now = performance.now();
    if (!force && now - lastReport < PROGRESS_INTERVAL_MS) return;
    lastReport = now;
    req.onProgress(sent, total);
  };
  const source = total === 0 ? undefined : fs.createReadStream(req.file, { start, end: end - 1, highWaterMark: 1024 * 1024 });
  const counter = new Transform({
    highWaterMark: 64 * 1024,
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      report(false);
      callback(null, chunk);
    },
  });
  counter.once('end', () => {
    sentAll = true;
    report(true);
  });
  const data = source ? pipeline(source, counter, () => undefined) : Buffer.alloc(0);

  let timedOut: 'sending' | 'answer' | undefined;
  let seen = -1;
  let lastChange = performance.now();
  let endedAt = 0;
  const watchdog = setInterval(
    () => {
      const now = performance.now();
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
    req.debug?.(`upload of bytes ${start}-${end} of ${req.file} (${total} bytes)`);
    const { response } = await sendFollowingRedirects(
      {
        url: req.url,
        method,
        headers: outgoingHeaders(req.headers, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(total) }),
        data,
        responseType: 'arraybuffer',
        maxContentLength: MAX_ANSWER,
        signal: controller.signal,
        // a fresh connection: a pooled socket the server closed meanwhile would fail a body that is not resent
        ...agents({ insecure: req.insecure, keepAlive: false }),
      },
      { maxRedirects: 0, debug: req.debug },
    );
    req.debug?.(`<- ${response.status} ${response.statusText ?? ''} after sending ${sent} of ${total} bytes`);
    if (sent !== total && response.status < 300) {
      throw new UserError(`${req.file} changed while it was uploaded (${sent} of ${total} bytes read)`, {
        fix: 'do not modify the image while pushing it, then push again',
        code: 'EFILECHANGED',
      });
    }
    return toJsonResponse<T>(response);
  } catch (error) {
    if (req.signal?.aborted) throw cancelled(req.signal, 'upload');
    if (timedOut === 'sending') {
      throw new UserError(`the upload to ${urlOrigin(req.url)} made no progress for ${Math.round(timeoutMs / 1000)} s`, {
        fix: 'check your network connection and that the server is up, then push again',
        code: 'ETIMEOUT',
      });
    }
    if (timedOut === 'answer') {
      throw new UserError(`${urlOrigin(req.url)} did not answer within ${Math.round(answerTimeoutMs / 1000)} s after the upload`, {
        fix: 'check on the server whether the image arrived before pushing again',
        code: 'ETIMEOUT',
      });
    }
    if (isUserError(error)) throw error;
    req.debug?.(`upload to ${redactUrl(req.url)} failed after ${sent} of ${total} bytes`);
    throw networkError(error, req.url, { timeoutMs });
  } finally {
    clearInterval(watchdog);
    req.signal?.removeEventListener('abort', onCallerAbort);
    if (source) {
      (data as NodeJS.ReadableStream & { destroy(): void }).destroy();
      source.destroy();
    }
  }
}
