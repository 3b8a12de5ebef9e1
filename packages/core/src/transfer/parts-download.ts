// Concurrent ranged download (as Apptainer's library client does on object storage): the first part is a Range
// request that also follows the redirects; when it comes back 206 with the whole size, the other parts are asked
// for in parallel at the final URL, each must answer 206 with exactly its Content-Range (a server that ignored
// Range would otherwise splice the wrong bytes), and finished parts go into the sink strictly in order, so the
// hash runs in one pass as for a plain stream. Memory is bounded: at most `concurrency + 1` parts are held.
// A server that does not answer the probe with 206 gets the plain streamed download instead (undefined here).
import type { Readable, Writable } from 'node:stream';
import type { AxiosResponse } from 'axios';
import { isUserError, UserError } from '../errors';
import type { FileSink } from './file-sink';
import { preferWorkerHashing } from './hasher';
import { HEAD_BYTES } from './head-probe';
import {
  agents,
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_TIMEOUT_MS,
  headerValue,
  outgoingHeaders,
  sendFollowingRedirects,
  withoutCredentials,
} from './http-client';
import { isTransientNetworkError, networkError, TransferFault } from './net-errors';
import { redactUrl, urlOrigin } from './redact';
import { backoffDelay, cancelled, sleep } from './retry';
import { httpStatusError, isRetryableStatus } from './status-errors';
import type { DownloadRequest, DownloadResult } from './types';

/** Smallest part worth a request of its own. */
const MIN_PART = 64 * 1024;
const MAX_CONCURRENCY = 16;
const PROGRESS_INTERVAL_MS = 100;

interface Plan {
  url: string;
  headers: Record<string, string>;
  total: number;
  partSize: number;
  count: number;
}

export async function downloadInParts(req: DownloadRequest, sink: FileSink): Promise<DownloadResult | undefined> {
  const wanted = req.parts;
  if (!wanted) return undefined;
  const partSize = Math.max(MIN_PART, Math.floor(wanted.size));
  const concurrency = Math.min(MAX_CONCURRENCY, Math.max(1, Math.floor(wanted.concurrency)));
  // one part or less: the plain stream is the same thing with fewer moving parts
  if (req.expectedSize !== undefined && req.expectedSize <= partSize) return undefined;
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  let probe: { response: AxiosResponse; url: string };
  try {
    probe = await sendFollowingRedirects(
      {
        url: req.url,
        method: 'GET',
        headers: outgoingHeaders(req.headers, { Accept: '*/*', 'Accept-Encoding': 'identity', Range: `bytes=0-${partSize - 1}` }),
        timeout: timeoutMs,
        signal: req.signal,
        responseType: 'stream',
        decompress: false,
        ...agents({ insecure: req.insecure }),
      },
      { maxRedirects: req.maxRedirects ?? DEFAULT_MAX_REDIRECTS, debug: req.debug, discard: release },
    );
  } catch (error) {
    if (req.signal?.aborted) throw cancelled(req.signal, 'download');
    if (isUserError(error)) throw error;
    // the plain download retries and reports this the usual way
    return undefined;
  }
  const { response, url } = probe;
  const range = parseContentRange(headerValue(response, 'content-range'));
  if (
    response.status !== 206 ||
    !range ||
    range.first !== 0 ||
    range.total === undefined ||
    range.last !== Math.min(partSize, range.total) - 1
  ) {
    release(response);
    req.debug?.(`parts: ${redactUrl(url)} answered ${response.status} to a Range request; downloading in one stream`);
    return undefined;
  }
  const total = range.total;
  if (req.expectedSize !== undefined && total !== req.expectedSize) {
    release(response);
    throw new UserError(`${urlOrigin(req.url)} sends ${total} bytes but the service announced ${req.expectedSize}`, {
      fix: 'pull again; if it persists the image on the server is damaged or was replaced',
      code: 'ESIZE',
    });
  }
  // the final URL keeps the caller's credentials only on the origin they were meant for
  const headers = new URL(url).origin === new URL(req.url).origin ? (req.headers ?? {}) : withoutCredentials(req.headers ?? {});
  const plan: Plan = { url, headers, total, partSize, count: Math.ceil(total / partSize) };
  req.debug?.(`parts: ${plan.count} parts of ${partSize} bytes, ${concurrency} at a time, from ${redactUrl(url)}`);
  sink.parallel = req.hashInWorker ?? preferWorkerHashing(total);
  return new PartsRun(req, sink, plan, concurrency, timeoutMs).run(response.data as Readable);
}

class PartsRun {
  private readonly done = new Map<number, Buffer[]>();
  private readonly received = new Map<number, number>();
  private next = 1;
  private written = 0;
  private writing: Promise<void> = Promise.resolve();
  private wakeups: (() => void)[] = [];
  private readonly stop = new AbortController();
  private failure: unknown;
  private attempts = 1;
  private lastReport = 0;
  private readonly writer: Writable;

  constructor(
    private readonly req: DownloadRequest,
    private readonly sink: FileSink,
    private readonly plan: Plan,
    private readonly concurrency: number,
    private readonly timeoutMs: number,
  ) {
    this.writer = sink.writer();
    // a failed write also fails the pending write callbacks; this keeps the event from going unhandled
    this.writer.on('error', (error) => this.fail(error));
  }

  async run(first: Readable): Promise<DownloadResult> {
    const onAbort = () => this.fail(cancelled(this.req.signal!, 'download'));
    this.req.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      this.report(true);
      const workers = [this.worker(first)];
      for (let i = 1; i < this.concurrency; i++) workers.push(this.worker());
      await Promise.all(workers);
      await this.writing;
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve, reject) => {
        this.writer.once('error', reject);
        this.writer.end(() => resolve());
      });
      if (this.sink.position !== this.plan.total)
        throw new TransferFault(`got ${this.sink.position} of ${this.plan.total} bytes`, 'ECUTSHORT');
      this.report(true);
      return { size: this.plan.total, ...(await this.sink.digests()), attempts: this.attempts, resumed: false };
    } catch (error) {
      this.writer.destroy();
      await this.sink.settled();
      if (this.req.signal?.aborted) throw cancelled(this.req.signal, 'download');
      if (isUserError(error)) throw error;
      throw networkError(error, this.plan.url, { timeoutMs: this.timeoutMs, attempts: this.attempts });
    } finally {
      this.req.signal?.removeEventListener('abort', onAbort);
      for (const wake of this.wakeups.splice(0)) wake();
    }
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.stop.abort();
    for (const wake of this.wakeups.splice(0)) wake();
  }

  private async worker(first?: Readable): Promise<void> {
    try {
      if (first) await this.finish(0, await this.fetch(0, first));
      for (;;) {
        if (this.failure) return;
        // hold back while the part that must be written next is still far behind (bounded memory)
        while (!this.failure && this.next - this.written >= this.concurrency + 1) await new Promise<void>((r) => this.wakeups.push(r));
        if (this.failure || this.next >= this.plan.count) return;
        const index = this.next++;
        await this.finish(index, await this.fetch(index));
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** Queues a finished part and writes every part that is now next in line. */
  private async finish(index: number, bytes: Buffer[]): Promise<void> {
    this.done.set(index, bytes);
    this.writing = this.writing.then(async () => {
      while (!this.failure && this.done.has(this.written)) {
        const part = this.done.get(this.written)!;
        this.done.delete(this.written);
        if (this.written === 0) await this.req.onHead?.(Buffer.concat(part).subarray(0, HEAD_BYTES), this.plan.total);
        await writeAll(this.writer, part);
        this.received.delete(this.written);
        this.written++;
        for (const wake of this.wakeups.splice(0)) wake();
      }
    });
    await this.writing.catch((error) => this.fail(error));
  }

  /** One part, retried on its own on a dropped connection or a 5xx; the first part arrives from the probe. */
  private async fetch(index: number, body?: Readable): Promise<Buffer[]> {
    const start = index * this.plan.partSize;
    const end = Math.min(this.plan.total, start + this.plan.partSize);
    const retries = Math.max(0, this.req.retries ?? 4);
    for (let failures = 0; ; failures++) {
      try {
        if (!body) body = await this.open(start, end);
        return await this.read(index, body, end - start);
      } catch (error) {
        body = undefined;
        this.received.set(index, 0);
        if (this.failure || isUserError(error)) throw this.failure ?? error;
        const retryable = error instanceof RetryablePart || error instanceof TransferFault || isTransientNetworkError(error, true);
        if (!retryable || failures >= retries) throw error instanceof RetryablePart ? httpStatusError(error.status, this.plan.url) : error;
        const wait = backoffDelay(failures, this.req.backoffMs);
        this.req.debug?.(
          `parts: part ${index + 1}/${this.plan.count} failed (${describe(error)}); retry ${failures + 1}/${retries} in ${wait} ms`,
        );
        this.attempts++;
        await sleep(wait, this.stop.signal).catch(() => undefined);
      }
    }
  }

  private async open(start: number, end: number): Promise<Readable> {
    const { response } = await sendFollowingRedirects(
      {
        url: this.plan.url,
        method: 'GET',
        headers: outgoingHeaders(this.plan.headers, { Accept: '*/*', 'Accept-Encoding': 'identity', Range: `bytes=${start}-${end - 1}` }),
        timeout: this.timeoutMs,
        signal: this.stop.signal,
        responseType: 'stream',
        decompress: false,
        ...agents({ insecure: this.req.insecure }),
      },
      { maxRedirects: this.req.maxRedirects ?? DEFAULT_MAX_REDIRECTS, discard: release },
    );
    const range = parseContentRange(headerValue(response, 'content-range'));
    if (response.status === 206 && range && range.first === start && range.last === end - 1 && range.total === this.plan.total) {
      return response.data as Readable;
    }
    release(response);
    if (isRetryableStatus(response.status)) throw new RetryablePart(response.status);
    if (response.status === 206 || response.status === 200) {
      throw new UserError(`${urlOrigin(this.plan.url)} answered a part of the image with other bytes than asked for`, {
        fix: 'pull again; a proxy on the way may not support Range requests (SREGISTRY_LIBRARY_CONCURRENCY=1 downloads in one stream)',
        code: 'EBADANSWER',
      });
    }
    throw httpStatusError(response.status, this.plan.url);
  }

  /**
   * Reads one part's body as the chunks the socket gave (kept, not copied: they go to the file as they are),
   * abandoning it when no byte comes for the idle timeout.
   */
  private read(index: number, body: Readable, length: number): Promise<Buffer[]> {
    const chunks: Buffer[] = [];
    let filled = 0;
    return new Promise<Buffer[]>((resolve, reject) => {
      let idle = setTimeout(() => body.destroy(new TransferFault(`no data for ${this.timeoutMs} ms`, 'EIDLETIMEOUT')), this.timeoutMs);
      const onStop = () => body.destroy(new Error('stopped'));
      this.stop.signal.addEventListener('abort', onStop, { once: true });
      let settled = false;
      const settle = (error?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        this.stop.signal.removeEventListener('abort', onStop);
        if (error) reject(error);
        else if (filled !== length) reject(new TransferFault(`part ${index + 1} got ${filled} of ${length} bytes`, 'ECUTSHORT'));
        else resolve(chunks);
      };
      body.on('data', (chunk: Buffer) => {
        clearTimeout(idle);
        idle = setTimeout(() => body.destroy(new TransferFault(`no data for ${this.timeoutMs} ms`, 'EIDLETIMEOUT')), this.timeoutMs);
        if (filled + chunk.length > length) {
          body.destroy(new TransferFault(`part ${index + 1} is longer than ${length} bytes`, 'ECUTSHORT'));
          return;
        }
        chunks.push(chunk);
        filled += chunk.length;
        this.received.set(index, filled);
        this.report(false);
      });
      body.once('end', () => settle());
      body.once('error', (error) => settle(error));
      // a connection closed without an error still leaves the part short: settle reports it
      body.once('close', () => settle(filled === length ? undefined : new TransferFault('connection closed', 'ECUTSHORT')));
    });
  }

  private report(force: boolean): void {
    const callback = this.req.onProgress;
    if (!callback) return;
    const now = Date.now();
    if (!force && now - this.lastReport < PROGRESS_INTERVAL_MS) return;
    this.lastReport = now;
    let inFlight = 0;
    for (const bytes of this.received.values()) inFlight += bytes;
    callback(Math.min(this.plan.total, this.written * this.plan.partSize + inFlight), this.plan.total);
  }
}

class RetryablePart extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** Writes the chunks (the Writable batches them into one writev) and resolves once the last is accepted. */
function writeAll(writer: Writable, chunks: Buffer[]): Promise<void> {
  if (chunks.length === 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    writer.cork();
    for (let i = 0; i < chunks.length - 1; i++) writer.write(chunks[i]);
    writer.write(chunks[chunks.length - 1], (error) => (error ? reject(error) : resolve()));
    writer.uncork();
  });
}

function describe(error: unknown): string {
  if (error instanceof Error && (error instanceof RetryablePart || error instanceof TransferFault)) return error.message;
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'error';
}

export function parseContentRange(value: string | undefined): { first: number; last: number; total?: number } | undefined {
  const match = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value ?? '');
  if (!match) return undefined;
  return { first: Number(match[1]), last: Number(match[2]), total: match[3] === '*' ? undefined : Number(match[3]) };
}

function release(response: AxiosResponse): void {
  const body = response.data as Readable | undefined;
  if (body && typeof body.destroy === 'function') body.destroy();
}
