// Streams a request body (a blob, or one chunk of it, straight from the file: file-feed.ts) to a registry with
// node:http(s). Core's uploadFile sends a body of a fixed length; the blob's streamed PATCH has none, and must be
// able to end early when the registry turns out to have the blob.
import http from 'node:http';
import https from 'node:https';
import type { BackendContext } from '@sregistry/core';
import { feedFile } from './file-feed';
import type { Host } from './host';

/** Longest wait for the registry's answer or the next write, as core allows a multipart upload. */
const ANSWER_TIMEOUT_MS = 600_000;

/**
 * The bytes: a buffer, or a byte range of a file. A `streamed` range goes without a Content-Length (chunked
 * transfer encoding, as Docker streams a blob in one PATCH), so that `endEarly` can end it short and still leave
 * a well-formed request: the registry answers it, and its session can then be deleted (a connection cut in the
 * middle of a body leaves Distribution's session unusable, and its bytes on the registry's disk).
 */
export type UploadBody = Buffer | { file: string; start: number; end: number; streamed?: boolean; endEarly?: AbortSignal };

export interface RawRequest {
  method: 'PUT' | 'PATCH';
  url: string;
  body: UploadBody;
  headers: Record<string, string>;
  onProgress?: (sent: number) => void;
  signal?: AbortSignal;
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface UploadTarget {
  base: string;
  registry: string;
  insecure: boolean;
}

export function sendRaw(
  host: Host,
  log: BackendContext['log'],
  target: UploadTarget,
  { method, url, body, headers, onProgress, signal }: RawRequest,
): Promise<RawAnswer> {
  const to = new URL(url, target.base);
  const length = Buffer.isBuffer(body) ? body.length : body.end - body.start;
  const streamed = !Buffer.isBuffer(body) && body.streamed === true;
  const send = to.protocol === 'https:' ? https.request : http.request;
  log.debug(`${method} ${host.redactUrl(to.href)} (${streamed ? `up to ${length} bytes, streamed` : `${length} bytes`})`);
  return new Promise((resolve, reject) => {
    const req = send(
      to,
      {
        method,
        headers: {
          'Content-Type': 'application/octet-stream',
          ...(streamed ? {} : { 'Content-Length': String(length) }),
          'User-Agent': 'sregistry-oras',
          ...headers,
        },
        signal,
        ...(to.protocol === 'https:' ? { rejectUnauthorized: !target.insecure } : {}),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (text.length < 64 * 1024) text += c;
        });
        res.on('end', () => {
          log.debug(`<- ${res.statusCode}`);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy(new Error(`no progress for ${ANSWER_TIMEOUT_MS / 60_000} minutes`)));
    req.on('error', (error) => {
      if (signal?.aborted) reject(new host.UserError('push cancelled', { code: 'ECANCELLED', exitCode: 130 }));
      else
        reject(
          new host.UserError(`the upload to ${target.registry} failed: ${host.printable((error as Error).message)}`, {
            fix: 'check the connection and push again (blobs already sent are skipped)',
            code: 'ENETWORK',
            cause: error,
          }),
        );
    });
    if (Buffer.isBuffer(body)) {
      onProgress?.(length);
      req.end(body);
      return;
    }
    if (length === 0 || (streamed && body.endEarly?.aborted)) {
      req.end();
      return;
    }
    feedFile(req, {
      file: body.file,
      start: body.start,
      end: body.end,
      onProgress,
      endEarly: streamed ? body.endEarly : undefined,
      onEndedEarly: (sent) => log.debug(`${method} body ended after ${sent} bytes`),
    });
  });
}
