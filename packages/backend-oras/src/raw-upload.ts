// Streams a request body (a blob, or one chunk of it, straight from the file) to a registry with node:http(s):
// core's transfers send JSON or multipart forms only, and the distribution API wants raw bytes.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { BackendContext } from '@sregistry/core';
import type { Host } from './host';

/** Longest wait for the registry's answer or the next write, as core allows a multipart upload. */
const ANSWER_TIMEOUT_MS = 600_000;

export type UploadBody = Buffer | { file: string; start: number; end: number };

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
  const send = to.protocol === 'https:' ? https.request : http.request;
  log.debug(`${method} ${host.redactUrl(to.href)} (${length} bytes)`);
  return new Promise((resolve, reject) => {
    const req = send(
      to,
      {
        method,
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(length),
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
    if (length === 0) {
      req.end();
      return;
    }
    const stream = fs.createReadStream(body.file, { start: body.start, end: body.end - 1, highWaterMark: 1024 * 1024 });
    let sent = 0;
    stream.on('data', (chunk) => {
      sent += chunk.length;
      onProgress?.(sent);
    });
    stream.on('error', (error) => req.destroy(error));
    stream.pipe(req);
  });
}
