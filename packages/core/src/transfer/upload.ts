// Streamed multipart upload (the registry's `POST /upload`): exact Content-Length, flat memory, progress by bytes
// handed to the connection, and no retries: a POST that may have been stored must not be sent twice.
import fs from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { isUserError, UserError } from '../errors';
import { pauseAtBytes, pausePoint } from '../testing-hooks';
import { agents, checkUrl, defaultTimeoutMs, outgoingHeaders, sendFollowingRedirects } from './http-client';
import { errorBodyForDebug, toJsonResponse } from './json-body';
import { buildMultipart, FileChangedError } from './multipart';
import { networkError } from './net-errors';
import { redactUrl } from './redact';
import { cancelled } from './retry';
import { SendWatch } from './send-watch';
import type { JsonResponse, UploadRequest } from './types';

const DEFAULT_ANSWER_TIMEOUT_MS = 600_000;
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
  const timeoutMs = req.timeoutMs ?? defaultTimeoutMs();
  const answerTimeoutMs = req.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS;
  // Field values are never logged: SREGISTRY_EVENT carries the upload signature.
  req.debug?.(
    `upload ${req.file.filename} (${size} bytes) as ${req.file.field}, fields ${req.fields.map((f) => f.name).join(', ') || '-'}; Content-Length ${total}`,
  );

  const watch = new SendWatch({
    total,
    timeoutMs,
    answerTimeoutMs,
    signal: req.signal,
    onProgress: req.onProgress,
    onBytes: (sent) => pauseAtBytes('upload-bytes', sent),
  });
  const source = body.stream();
  const data = pipeline(source, watch.counter, () => undefined);

  try {
    watch.report(true);
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
        signal: watch.controller.signal,
        // A fresh connection: a pooled keep-alive socket the server closed meanwhile would fail a POST that
        // cannot be retried.
        ...agents({ insecure: req.insecure, keepAlive: false }),
      },
      { maxRedirects: 0, debug: req.debug },
    );
    req.debug?.(
      `<- ${response.status} ${response.statusText ?? ''} after sending ${watch.sent} of ${total} bytes${errorBodyForDebug(response.status, response.data)}`,
    );
    pausePoint('upload-answered');
    return toJsonResponse<T>(response);
  } catch (error) {
    if (req.signal?.aborted) throw cancelled(req.signal, 'upload');
    const timeout = watch.timeoutError(req.url, 'registry');
    if (timeout) throw timeout;
    const changed = findCause(error, FileChangedError);
    if (changed) {
      throw new UserError(`${req.file.path} changed while it was uploaded`, {
        fix: 'do not modify the image while pushing it, then push again',
        code: 'EFILECHANGED',
        cause: error,
      });
    }
    if (isUserError(error)) throw error;
    req.debug?.(`upload to ${redactUrl(req.url)} failed after ${watch.sent} of ${total} bytes`);
    throw networkError(error, req.url, { timeoutMs, plainHttpSetting: req.plainHttpSetting });
  } finally {
    watch.stop();
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
