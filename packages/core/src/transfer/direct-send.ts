// A GET over plain http needs nothing of axios: it goes over direct-get's socket, its answer either streamed (a
// download's body, handed on as the DirectBody itself) or read whole (a JSON call). A pull of a small image over
// plain http then never loads axios: its bundle and its request pipeline were about 15 ms of the 4 KiB pull's
// 145 ms (node --cpu-prof, docs/performance.md "Start-up"). Every other request (https, a proxy, a body to send,
// credentials in the URL, options only axios knows) is left to axios: `sendDirect` answers undefined for it.
import type { AxiosRequestConfig, AxiosResponse } from 'axios';
import { DirectBody, directTarget } from './direct-get';
import { IdleWatch } from './idle-watch';

/** The content codings a body read whole may come in, as axios asks for them (its http adapter's default). */
const ACCEPTED_ENCODINGS = 'gzip, deflate, br';

type Request = AxiosRequestConfig & { url: string; headers: Record<string, string> };

function codeError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * Sends `config` over the direct path when it can go there, else answers undefined. A stream answer's `data` is the
 * DirectBody (the callers that ask for streams, download.ts and parts-download.ts, take it or a Readable); an
 * arraybuffer answer's is the body as one Buffer, decoded when the server compressed it.
 */
export async function sendDirect(config: Request): Promise<AxiosResponse | undefined> {
  const url = directUrl(config);
  if (!url) return undefined;
  const stream = config.responseType === 'stream';
  const headers = stream ? config.headers : withAcceptEncoding(config.headers);
  const signal = config.signal as AbortSignal | undefined;
  const timeoutMs = config.timeout ?? 0;
  const { head, body } = await DirectBody.get(url, headers, { timeoutMs, signal });
  const response = { status: head.status, statusText: head.statusText, headers: head.headers, config, request: undefined };
  if (stream) return { ...response, data: body } as AxiosResponse;
  const bytes = await readWhole(body, { timeoutMs, signal, max: config.maxContentLength, onProgress: config.onDownloadProgress });
  return {
    ...response,
    headers: decodedHeaders(head.headers),
    data: decode(bytes, head.headers['content-encoding'], config.maxContentLength),
  } as AxiosResponse;
}

/** The URL of a request the direct path takes: a GET of a stream (undecoded) or of bytes, and nothing else asked. */
function directUrl(config: Request): URL | undefined {
  if ((config.method ?? 'GET').toUpperCase() !== 'GET' || config.data !== undefined) return undefined;
  const stream = config.responseType === 'stream' && config.decompress === false;
  if (!stream && config.responseType !== 'arraybuffer') return undefined;
  if (config.adapter || config.baseURL || config.params || config.auth || config.proxy !== undefined) return undefined;
  if (config.socketPath || config.httpAgent || config.beforeRedirect) return undefined;
  return directTarget(config.url);
}

function withAcceptEncoding(headers: Record<string, string>): Record<string, string> {
  if (Object.keys(headers).some((name) => name.toLowerCase() === 'accept-encoding')) return headers;
  return { ...headers, 'Accept-Encoding': ACCEPTED_ENCODINGS };
}

interface ReadOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** most bytes (-1 or undefined: no limit), as axios's maxContentLength */
  max?: number;
  onProgress?: AxiosRequestConfig['onDownloadProgress'];
}

/**
 * The whole body as one Buffer. No byte for `timeoutMs` is ETIMEDOUT, as axios's socket timeout; more than `max`
 * bytes fails with axios's message, which the callers recognise.
 */
async function readWhole(body: DirectBody, options: ReadOptions): Promise<Buffer> {
  const pieces: Buffer[] = [];
  let loaded = 0;
  const idle = new IdleWatch(options.timeoutMs, () => body.destroy(codeError(`timeout of ${options.timeoutMs}ms exceeded`, 'ETIMEDOUT')));
  const onAbort = () => body.destroy(options.signal?.reason ?? codeError('canceled', 'ERR_CANCELED'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (options.signal?.aborted) onAbort();
    await body.receive(async (chunks) => {
      idle.poke();
      // copied at once: the views may be of memory the socket reads into next
      for (const chunk of chunks) {
        pieces.push(Buffer.from(chunk));
        loaded += chunk.length;
      }
      if (options.max !== undefined && options.max > -1 && loaded > options.max) throw tooLarge(options.max);
      options.onProgress?.({ loaded, bytes: loaded, lengthComputable: false } as Parameters<NonNullable<ReadOptions['onProgress']>>[0]);
    });
  } finally {
    idle.stop();
    options.signal?.removeEventListener('abort', onAbort);
  }
  return Buffer.concat(pieces, loaded);
}

function tooLarge(max: number): Error {
  return codeError(`maxContentLength size of ${max} exceeded`, 'ERR_BAD_RESPONSE');
}

/** The body as the server meant it: gzip, deflate and br undone (zlib loaded only then), other codings kept. */
function decode(bytes: Buffer, encoding: string | undefined, max: number | undefined): Buffer {
  const coding = encoding?.trim().toLowerCase();
  if (!coding || coding === 'identity' || bytes.length === 0) return bytes;
  const zlib = require('node:zlib') as typeof import('node:zlib');
  const limit = max !== undefined && max > -1 ? { maxOutputLength: max } : {};
  try {
    if (coding === 'gzip' || coding === 'x-gzip') return zlib.gunzipSync(bytes, limit);
    // "deflate" is meant to be zlib-wrapped, but servers send raw deflate too (the first byte tells, as axios checks)
    if (coding === 'deflate') return (bytes[0] & 0x0f) === 0x08 ? zlib.inflateSync(bytes, limit) : zlib.inflateRawSync(bytes, limit);
    if (coding === 'br') return zlib.brotliDecompressSync(bytes, limit);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(max ?? 0);
    throw Object.assign(codeError(`the ${coding} answer does not decode: ${(error as Error).message}`, 'Z_DATA_ERROR'), { cause: error });
  }
  return bytes;
}

/** Headers of a decoded body: no longer the coding or the length it came in (axios drops them the same way). */
function decodedHeaders(headers: Record<string, string>): Record<string, string> {
  const coding = headers['content-encoding']?.trim().toLowerCase();
  if (!coding || !['gzip', 'x-gzip', 'deflate', 'br'].includes(coding)) return headers;
  const { 'content-encoding': _coding, 'content-length': _length, ...rest } = headers;
  return rest;
}
