// A raw request body streamed from a file, or from a byte range of it (a presigned PUT to object storage, one
// part of a multipart upload): exact Content-Length, flat memory, progress by bytes handed to the connection, no
// redirects and no retries (whether to ask for a fresh URL and send again is the caller's decision).
import fs from 'node:fs';
import { pipeline } from 'node:stream';
import { isUserError, UserError } from '../errors';
import { agents, checkUrl, defaultTimeoutMs, outgoingHeaders, sendFollowingRedirects } from './http-client';
import { errorBodyForDebug, toJsonResponse } from './json-body';
import { networkError } from './net-errors';
import { redactUrl } from './redact';
import { cancelled } from './retry';
import { SendWatch } from './send-watch';
import type { FileUploadRequest, JsonResponse } from './types';

const DEFAULT_ANSWER_TIMEOUT_MS = 600_000;
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
  const timeoutMs = req.timeoutMs ?? defaultTimeoutMs();
  const answerTimeoutMs = req.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS;
  const method = req.method ?? 'PUT';

  const watch = new SendWatch({ total, timeoutMs, answerTimeoutMs, signal: req.signal, onProgress: req.onProgress });
  const source = total === 0 ? undefined : fs.createReadStream(req.file, { start, end: end - 1, highWaterMark: 1024 * 1024 });
  const data = source ? pipeline(source, watch.counter, () => undefined) : Buffer.alloc(0);

  try {
    watch.report(true);
    req.debug?.(`upload of bytes ${start}-${end} of ${req.file} (${total} bytes)`);
    const { response } = await sendFollowingRedirects(
      {
        url: req.url,
        method,
        headers: outgoingHeaders(req.headers, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(total) }),
        data,
        responseType: 'arraybuffer',
        maxContentLength: MAX_ANSWER,
        signal: watch.controller.signal,
        // a fresh connection: a pooled socket the server closed meanwhile would fail a body that is not resent
        ...agents({ insecure: req.insecure, keepAlive: false }),
      },
      { maxRedirects: 0, debug: req.debug },
    );
    req.debug?.(
      `<- ${response.status} ${response.statusText ?? ''} after sending ${watch.sent} of ${total} bytes${errorBodyForDebug(response.status, response.data)}`,
    );
    if (watch.sent !== total && response.status < 300) {
      throw new UserError(`${req.file} changed while it was uploaded (${watch.sent} of ${total} bytes read)`, {
        fix: 'do not modify the image while pushing it, then push again',
        code: 'EFILECHANGED',
      });
    }
    return toJsonResponse<T>(response);
  } catch (error) {
    if (req.signal?.aborted) throw cancelled(req.signal, 'upload');
    const timeout = watch.timeoutError(req.url, 'server');
    if (timeout) throw timeout;
    if (isUserError(error)) throw error;
    req.debug?.(`upload to ${redactUrl(req.url)} failed after ${watch.sent} of ${total} bytes`);
    throw networkError(error, req.url, { timeoutMs, plainHttpSetting: req.plainHttpSetting });
  } finally {
    watch.stop();
    if (source) {
      (data as NodeJS.ReadableStream & { destroy(): void }).destroy();
      source.destroy();
    }
  }
}
