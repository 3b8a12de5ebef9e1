// Concurrent ranged download (as Apptainer's library client does on object storage): the first part is a Range
// request that also follows the redirects; when it comes back 206 with the whole size, the other parts are asked
// for in parallel at the final URL, each must answer 206 with exactly its Content-Range (a server that ignored
// Range would otherwise splice the wrong bytes). Each part's bytes are written at their offset in the file as they
// arrive (positional writes, no part is held in memory); once the parts before it are complete, a part is hashed
// in order from the file (still in the page cache), so the hash runs in one pass as for a plain stream: by threads
// that read the file themselves for big files (FileSink.hashFile). Memory is flat: one reused read buffer per
// worker (its bytes are written at once, FileSink.writeAt), and one per hashing thread.
// A server that does not answer the probe with 206 gets the plain streamed download instead (undefined here).
import type { Readable } from 'node:stream';
import type { AxiosResponse } from 'axios';
import { isUserError, UserError } from '../errors';
import { ByteRing } from './byte-ring';
import { DirectBody, directTarget } from './direct-get';
import type { DiskRoom } from './disk-room';
import type { FileSink } from './file-sink';
import { preferWorkerHashing } from './hasher';
import { HEAD_BYTES } from './head-probe';
import { getBody, headerValue, outgoingHeaders, releaseBody, withoutCredentials } from './http-client';
import { IdleWatch } from './idle-watch';
import { isTransientNetworkError, networkError, TransferFault } from './net-errors';
import { redactUrl, urlOrigin } from './redact';
import { backoffDelay, cancelled, sleep } from './retry';
import { httpStatusError, isRefusedLink, isRetryableStatus, type LinkRenewal, RefusedLink, refusedLinkError } from './status-errors';
import type { DownloadRequest, DownloadResult, SettledDownload } from './types';

/** Smallest part worth a request of its own. */
const MIN_PART = 64 * 1024;
const MAX_CONCURRENCY = 16;
/**
 * Each worker's sockets read into one reused buffer (a ring without consumers, byte-ring.ts): the bytes go to the
 * file as soon as they are read, so the buffer is free again at once, instead of fresh 2 MiB blocks per part
 * that live until the next garbage collection (512 MiB in 5 MiB parts: 75 ms of GC and ~40 MB more peak RSS).
 */
const PART_READ_BUFFER_BYTES = 2 * 1024 * 1024;
const PROGRESS_INTERVAL_MS = 100;

interface Plan {
  url: string;
  headers: Record<string, string>;
  total: number;
  partSize: number;
  count: number;
}

export async function downloadInParts(
  req: SettledDownload,
  sink: FileSink,
  links: LinkRenewal,
  room: DiskRoom,
): Promise<DownloadResult | undefined> {
  const wanted = req.parts;
  if (!wanted) return undefined;
  const partSize = Math.max(MIN_PART, Math.floor(wanted.size));
  const concurrency = Math.min(MAX_CONCURRENCY, Math.max(1, Math.floor(wanted.concurrency)));
  // one part or less: the plain stream is the same thing with fewer moving parts
  if (req.expectedSize !== undefined && req.expectedSize <= partSize) return undefined;
  const timeoutMs = req.timeoutMs;

  let probe: { response: AxiosResponse; url: string };
  try {
    probe = await getBody({
      url: req.url,
      headers: outgoingHeaders(req.headers, { Accept: '*/*', 'Accept-Encoding': 'identity', Range: `bytes=0-${partSize - 1}` }),
      timeoutMs,
      signal: req.signal,
      insecure: req.insecure,
      maxRedirects: req.maxRedirects,
      debug: req.debug,
      plainHttpSetting: req.plainHttpSetting,
    });
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
    releaseBody(response);
    req.debug?.(`parts: ${redactUrl(url)} answered ${response.status} to a Range request; downloading in one stream`);
    // the stream asks req.url again: that is the one fresh link a refused (expired) one gets
    if (isRefusedLink(response.status, req.url, url)) links.renewed = true;
    return undefined;
  }
  const total = range.total;
  if (req.expectedSize !== undefined && total !== req.expectedSize) {
    releaseBody(response);
    throw new UserError(`${urlOrigin(req.url)} sends ${total} bytes but the service announced ${req.expectedSize}`, {
      fix: 'pull again; if it persists the image on the server is damaged or was replaced',
      code: 'ESIZE',
    });
  }
  // the size only the probe's answer gave: refused now if it does not fit on the disk beside its reserve
  if (req.expectedSize === undefined) {
    try {
      room.fits(total);
    } catch (error) {
      releaseBody(response);
      throw error;
    }
  }
  // the final URL keeps the caller's credentials only on the origin they were meant for
  const headers = new URL(url).origin === new URL(req.url).origin ? (req.headers ?? {}) : withoutCredentials(req.headers ?? {});
  const plan: Plan = { url, headers, total, partSize, count: Math.ceil(total / partSize) };
  req.debug?.(`parts: ${plan.count} parts of ${partSize} bytes, ${concurrency} at a time, from ${redactUrl(url)}`);
  sink.parallel = req.hashInWorker ?? preferWorkerHashing(total);
  return new PartsRun(req, sink, plan, concurrency, timeoutMs).run(response.data as PartBody);
}

/**
 * Parts fetched ahead of the one to hash next: the workers, plus AHEAD_BYTES of the file. With only one part
 * ahead per worker, 512 MiB in 3 x 5 MiB parts left the workers waiting on the hashing 10-15 % of the time.
 */
const AHEAD_BYTES = 32 * 1024 * 1024;

class PartsRun {
  /** parts in the file, waiting for the parts before them to be hashed */
  private readonly done = new Set<number>();
  private readonly received = new Map<number, number>();
  private next = 1;
  /** parts hashed (in order) */
  private written = 0;
  private writing: Promise<void> = Promise.resolve();
  private wakeups: (() => void)[] = [];
  private readonly stop = new AbortController();
  private failure: unknown;
  private attempts = 1;
  private lastReport = 0;
  /** the fresh link being fetched after object storage refused the plan's */
  private renewing?: Promise<void>;
  /** whether the plan's link is a renewed one that has not yet served a part (refused again: the end) */
  private linkUntried = false;
  /** how many parts may be fetched ahead of the one to hash next */
  private readonly window: number;

  constructor(
    private readonly req: DownloadRequest,
    private readonly sink: FileSink,
    private readonly plan: Plan,
    private readonly concurrency: number,
    private readonly timeoutMs: number,
  ) {
    this.window = concurrency + 1 + Math.floor(AHEAD_BYTES / plan.partSize);
  }

  async run(first: PartBody): Promise<DownloadResult> {
    const onAbort = () => this.fail(cancelled(this.req.signal!, 'download'));
    this.req.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      this.report(true);
      const workers = [this.worker(first)];
      for (let i = 1; i < this.concurrency; i++) workers.push(this.worker());
      await Promise.all(workers);
      await this.writing;
      if (this.failure) throw this.failure;
      if (this.sink.position !== this.plan.total)
        throw new TransferFault(`got ${this.sink.position} of ${this.plan.total} bytes`, 'ECUTSHORT');
      this.report(true);
      return { size: this.plan.total, ...(await this.sink.digests()), attempts: this.attempts, resumed: false };
    } catch (error) {
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

  private async worker(first?: PartBody): Promise<void> {
    const memory = new ByteRing(new SharedArrayBuffer(PART_READ_BUFFER_BYTES), 0);
    try {
      if (first) {
        await this.fetch(0, memory, first);
        this.finish(0);
      }
      for (;;) {
        if (this.failure) return;
        // hold back while the part that must be hashed next is still far behind: the file absorbs the parts that
        // are ahead (no memory of ours), the window only keeps the read-back in the page cache
        while (!this.failure && this.next - this.written >= this.window) await new Promise<void>((r) => this.wakeups.push(r));
        if (this.failure || this.next >= this.plan.count) return;
        const index = this.next++;
        await this.fetch(index, memory);
        this.finish(index);
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /**
   * Marks a part as in the file and queues the hashing of every part that is now next in line. The worker does
   * not wait for it: it fetches its next part meanwhile (the window above bounds how far ahead).
   */
  private finish(index: number): void {
    this.done.add(index);
    this.writing = this.writing.then(async () => {
      while (!this.failure && this.done.has(this.written)) {
        this.done.delete(this.written);
        const end = Math.min(this.plan.total, (this.written + 1) * this.plan.partSize);
        // the head is the start of the first read-back piece (a part is at least MIN_PART, more than HEAD_BYTES)
        const onHead = this.written === 0 && this.req.onHead;
        await this.sink.hashFile(
          end,
          onHead
            ? async (bytes, at) => (at === 0 ? onHead(Buffer.from(bytes.subarray(0, HEAD_BYTES)), this.plan.total) : undefined)
            : undefined,
        );
        this.received.delete(this.written);
        this.written++;
        for (const wake of this.wakeups.splice(0)) wake();
      }
    });
    this.writing = this.writing.catch((error) => this.fail(error));
  }

  /** One part, retried on its own on a dropped connection or a 5xx; the first part arrives from the probe. */
  private async fetch(index: number, memory: ByteRing, body?: PartBody): Promise<void> {
    const start = index * this.plan.partSize;
    const end = Math.min(this.plan.total, start + this.plan.partSize);
    const retries = Math.max(0, this.req.retries ?? 4);
    for (let failures = 0; ; failures++) {
      try {
        if (!body) body = await this.open(start, end);
        await this.read(index, body, memory, start, end - start);
        this.linkUntried = false;
        return;
      } catch (error) {
        body = undefined;
        this.received.set(index, 0);
        if (error instanceof RefusedLink && !this.failure) {
          // the link expired during the download: one fresh one from the service, then this part again
          await this.renew(error.url);
          continue;
        }
        if (this.failure || isUserError(error)) throw this.failure ?? error;
        const retryable = error instanceof RetryablePart || error instanceof TransferFault || isTransientNetworkError(error, true);
        if (!retryable || failures >= retries) throw this.finalError(error, failures + 1);
        const wait = backoffDelay(failures, this.req.backoffMs);
        this.req.debug?.(
          `parts: part ${index + 1}/${this.plan.count} failed (${describe(error)}); retry ${failures + 1}/${retries} in ${wait} ms`,
        );
        this.attempts++;
        await sleep(wait, this.stop.signal).catch(() => undefined);
      }
    }
  }

  /** A fresh link in place of `refused` (shared by the workers); a renewed link refused before it served a part is the end. */
  private async renew(refused: string): Promise<void> {
    if (refused !== this.plan.url) return;
    if (!this.renewing) {
      if (this.linkUntried) throw refusedLinkError(refused);
      this.req.debug?.(
        `parts: ${redactUrl(refused)} refused the download link (HTTP 403): asking ${urlOrigin(this.req.url)} for a fresh one`,
      );
      this.renewing = this.fetchLink().finally(() => {
        this.renewing = undefined;
      });
    }
    await this.renewing;
  }

  /** Follows the request's redirect again (for one byte) to learn the fresh link it now hands out. */
  private async fetchLink(): Promise<void> {
    const { response, url } = await getBody({
      url: this.req.url,
      headers: outgoingHeaders(this.req.headers, { Accept: '*/*', 'Accept-Encoding': 'identity', Range: 'bytes=0-0' }),
      timeoutMs: this.timeoutMs,
      signal: this.stop.signal,
      insecure: this.req.insecure,
      maxRedirects: this.req.maxRedirects,
      debug: this.req.debug,
    });
    releaseBody(response);
    if (response.status !== 206 && response.status !== 200) {
      throw isRefusedLink(response.status, this.req.url, url) ? refusedLinkError(url) : httpStatusError(response.status, url);
    }
    this.plan.url = url;
    this.plan.headers =
      new URL(url).origin === new URL(this.req.url).origin ? (this.req.headers ?? {}) : withoutCredentials(this.req.headers ?? {});
    this.linkUntried = true;
  }

  /** What a part that kept failing is reported as. */
  private finalError(error: unknown, attempts: number): unknown {
    if (error instanceof RetryablePart) return httpStatusError(error.status, this.plan.url);
    // a body that ended short without a network error every time: the server's own answer, not a cut connection
    if (error instanceof ShortPart) {
      return new UserError(
        `${urlOrigin(this.plan.url)} ended part ${error.index + 1} of ${this.plan.count} after ${error.got} of its ${error.wanted} bytes, ${attempts} times`,
        { fix: 'pull again later; if it persists the image on the server is damaged or shorter than it says', code: 'ESIZE' },
      );
    }
    return error;
  }

  private async open(start: number, end: number): Promise<PartBody> {
    const headers = outgoingHeaders(this.plan.headers, {
      Accept: '*/*',
      'Accept-Encoding': 'identity',
      Range: `bytes=${start}-${end - 1}`,
    });
    let answer: { status: number; contentRange: string | undefined; body: PartBody } | undefined;
    // The final URL answered the probe, so a part is one GET there: sent straight over the direct path, without
    // axios's request pipeline (its config merging and interceptors: ~0.6 ms of the receiving thread per part,
    // 60 ms for 512 MiB in 5 MiB parts). A redirect after all, https or a proxy take the axios path.
    const target = directTarget(this.plan.url);
    if (target) {
      const { head, body } = await DirectBody.get(target, headers, { timeoutMs: this.timeoutMs, signal: this.stop.signal });
      if (head.status < 300 || head.status >= 400) answer = { status: head.status, contentRange: head.headers['content-range'], body };
      else body.destroy();
    }
    if (!answer) {
      const { response } = await getBody({
        url: this.plan.url,
        headers,
        timeoutMs: this.timeoutMs,
        signal: this.stop.signal,
        insecure: this.req.insecure,
        maxRedirects: this.req.maxRedirects,
      });
      answer = { status: response.status, contentRange: headerValue(response, 'content-range'), body: response.data as PartBody };
    }
    const range = parseContentRange(answer.contentRange);
    if (answer.status === 206 && range && range.first === start && range.last === end - 1 && range.total === this.plan.total) {
      return answer.body;
    }
    answer.body.destroy();
    if (isRetryableStatus(answer.status)) throw new RetryablePart(answer.status);
    if (isRefusedLink(answer.status, this.req.url, this.plan.url)) throw new RefusedLink(this.plan.url);
    if (answer.status === 206 || answer.status === 200) {
      throw new UserError(`${urlOrigin(this.plan.url)} answered a part of the image with other bytes than asked for`, {
        fix: 'pull again; a proxy on the way may not support Range requests (SREGISTRY_LIBRARY_CONCURRENCY=1 downloads in one stream)',
        code: 'EBADANSWER',
      });
    }
    throw httpStatusError(answer.status, this.plan.url);
  }

  /**
   * Writes one part's body to the file at its offset, chunk by chunk as the socket gives them (no copy; the
   * synchronous write holds the socket back while the disk is slow), abandoning it when no byte comes for the
   * idle timeout. Resolves once every byte of the part is in the file.
   */
  private async read(index: number, body: PartBody, memory: ByteRing, start: number, length: number): Promise<void> {
    let filled = 0;
    const idle = new IdleWatch(this.timeoutMs, () => body.destroy(new TransferFault(`no data for ${this.timeoutMs} ms`, 'EIDLETIMEOUT')));
    const onStop = () => body.destroy(new Error('stopped'));
    this.stop.signal.addEventListener('abort', onStop, { once: true });
    /** one chunk into the file; a refusal (too long, the disk) is thrown */
    const take = (chunk: Buffer) => {
      idle.poke();
      // more bytes than the range asked for is no cut connection: asking again gets the same answer
      if (filled + chunk.length > length) {
        throw new UserError(`${urlOrigin(this.plan.url)} sent more than the ${length} bytes asked for in part ${index + 1} of the image`, {
          fix: 'pull again; a proxy on the way may not support Range requests (SREGISTRY_LIBRARY_CONCURRENCY=1 downloads in one stream)',
          code: 'EBADANSWER',
        });
      }
      this.sink.writeAt([chunk], start + filled);
      filled += chunk.length;
      this.received.set(index, filled);
      this.report(false);
    };
    try {
      if (body instanceof DirectBody) {
        await body.receive(async (chunks) => {
          chunks.forEach(take);
          await memory.push(chunks);
        }, memory);
      } else await streamInto(body, take);
    } finally {
      idle.stop();
      this.stop.signal.removeEventListener('abort', onStop);
    }
    if (filled !== length) throw new ShortPart(index, filled, length);
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

/** A part whose answer ended, without a network error, before all its bytes came (retried like a cut). */
class ShortPart extends TransferFault {
  constructor(
    readonly index: number,
    readonly got: number,
    readonly wanted: number,
  ) {
    super(`part ${index + 1} got ${got} of ${wanted} bytes`, 'ECUTSHORT');
  }
}

/** A part's answer body: the direct receive path's, or axios's stream (https, a proxy). */
type PartBody = Readable | DirectBody;

/** A stream's chunks to `take` until it ends; a chunk refused destroys it with the refusal. */
function streamInto(body: Readable, take: (chunk: Buffer) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve();
    };
    body.on('data', (chunk: Buffer) => {
      try {
        take(chunk);
      } catch (error) {
        body.destroy(error as Error);
      }
    });
    body.once('end', () => settle());
    body.once('error', (error) => settle(error));
    // a connection closed without an error: the length check after it says whether the part is short
    body.once('close', () => settle());
  });
}

class RetryablePart extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
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
