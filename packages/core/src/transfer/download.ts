// Streaming download into a file: one pass (bytes are hashed as they are written), redirects followed, size
// checked against Content-Length and the service's promise, dropped connections and 5xx retried with backoff,
// resumed with Range when the server supports it, and no partial file left behind on failure.
import { finished, type Readable, type Writable } from 'node:stream';
import type { AxiosResponse } from 'axios';
import { isUserError, UserError } from '../errors';
import { fileSystemProblem } from '../storage/fs-errors';
import { pauseAtBytes } from '../testing-hooks';
import { DirectBody } from './direct-get';
import { DiskRoom } from './disk-room';
import { DiskWriteError, FileSink } from './file-sink';
import { HashWorkerError, preferWorkerHashing } from './hasher';
import { HeadProbe } from './head-probe';
import {
  checkUrl,
  defaultRetryMaxTimeMs,
  defaultSpeedLimit,
  defaultSpeedTimeMs,
  defaultTimeoutMs,
  getBody,
  headerValue,
  outgoingHeaders,
  releaseBody,
} from './http-client';
import { errorCodes, isTransientNetworkError, networkError, TransferFault } from './net-errors';
import { downloadInParts, parseContentRange } from './parts-download';
import { redactUrl, urlOrigin } from './redact';
import { backoffDelay, cancelled, DEFAULT_MAX_RETRY_AFTER_MS, parseRetryAfter, sleep } from './retry';
import { SpeedFloor } from './speed-floor';
import { httpStatusError, isRefusedLink, isRetryableStatus, type LinkRenewal, RefusedLink, refusedLinkError } from './status-errors';
import type { DownloadRequest, DownloadResult, SettledDownload } from './types';

const PROGRESS_INTERVAL_MS = 100;
/** Milliseconds of a monotonic clock: `performance` from node:perf_hooks would load a dozen modules for it. */
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** What the server told us about the resource on the first full answer. */
interface Resource {
  total?: number;
  ranges: boolean;
  /** ETag (strong) or Last-Modified, sent as If-Range so a changed file is never spliced onto the old bytes */
  validator?: string;
  contentType?: string;
}

/** An answer worth another attempt (5xx, 429, 408), with the server's Retry-After. */
class RetryableStatus extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`HTTP ${status}`);
  }
}

export async function downloadToFile(request: DownloadRequest): Promise<DownloadResult> {
  checkUrl(request.url);
  // the transfer settings first: a bad one is refused before a file is opened or a byte is asked for
  const req: SettledDownload = {
    ...request,
    timeoutMs: request.timeoutMs ?? defaultTimeoutMs(),
    maxRetryTimeMs: request.maxRetryTimeMs ?? defaultRetryMaxTimeMs(),
    speedLimit: request.speedLimit ?? defaultSpeedLimit(),
    speedTimeMs: request.speedTimeMs ?? defaultSpeedTimeMs(),
  };
  if (req.signal?.aborted) throw cancelled(req.signal, 'download');
  let sink: FileSink;
  try {
    sink = await FileSink.open(req.dest, req.hashes ?? ['sha256']);
  } catch (error) {
    // a read-only, full or unwritable folder as every other write says it, naming the file asked for (not its temp)
    const named = await fileSystemProblem(error);
    if (isUserError(named)) throw named;
    throw new UserError(`cannot write ${req.dest}: ${(error as { code?: string }).code ?? String(error)}`, {
      fix: 'check that the folder exists and is writable',
      code: 'EWRITE',
      cause: error,
    });
  }
  try {
    // concurrent ranged parts when the caller asks and the server allows, else one resumable stream; a link
    // refused by object storage is asked for once more, in either
    const links: LinkRenewal = { renewed: false };
    // the disk must keep its reserve: an announced size is checked now, before any request
    const room = new DiskRoom(req.dest, req.url);
    if (req.expectedSize !== undefined) room.fits(req.expectedSize);
    const result = (await downloadInParts(req, sink, links, room)) ?? (await transfer(req, sink, links, room));
    await sink.finish();
    return result;
  } catch (error) {
    await sink.discard();
    if (req.signal?.aborted) throw cancelled(req.signal, 'download');
    if (error instanceof DiskWriteError) {
      // a full disk, a quota or a read-only file system as every other write says it, naming the destination
      const named = await fileSystemProblem({ code: error.code, syscall: 'write', path: error.path });
      if (isUserError(named)) throw named;
      throw new UserError(error.message, { fix: 'check free space and permissions of the download folder', code: 'EWRITE', cause: error });
    }
    throw error;
  }
}

async function transfer(req: SettledDownload, sink: FileSink, links: LinkRenewal, room: DiskRoom): Promise<DownloadResult> {
  const retries = Math.max(0, req.retries ?? 4);
  const timeoutMs = req.timeoutMs;
  const maxWait = req.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const maxRetryTime = req.maxRetryTimeMs;
  const speed = { limit: req.speedLimit, windowMs: req.speedTimeMs };
  const started = now();
  const resource: Resource = { ranges: false };
  const progress = throttle(req.onProgress);
  const head = new HeadProbe(req.onHead);
  let attempts = 0;
  let resumed = false;
  // With Range support the retry budget is spent only by attempts that get no further than before: a flaky link
  // that keeps making progress on a big file is not abandoned, a server that always cuts at the same byte is.
  let failures = 0;
  let furthest = 0;
  let roomChecked = false;

  for (;;) {
    attempts++;
    const start = sink.position;
    try {
      const answer = await open(req, sink, resource, timeoutMs);
      if (answer.resumed) resumed = true;
      // a size only the answer announces: refused now if it cannot fit (the service's size was checked already)
      if (req.expectedSize === undefined && resource.total !== undefined && !roomChecked) {
        roomChecked = true;
        try {
          room.fits(resource.total - sink.position);
        } catch (error) {
          answer.body.destroy();
          throw error;
        }
      }
      if (sink.position === 0) head.restart();
      progress.report(sink.position, resource.total, true);
      await stream(answer.body, sink, timeoutMs, new SpeedFloor(speed.limit, speed.windowMs), req.signal, {
        onWritten: () => {
          pauseAtBytes('download-bytes', sink.position);
          // a body without Content-Length (chunked, or until close) is otherwise unbounded: never write past the size
          // the service promised, or an endless answer fills the disk before the digest could refuse it
          const cap = resource.total ?? req.expectedSize;
          if (cap !== undefined && sink.position > cap) answer.body.destroy(tooLong(req, cap));
          // nothing bounds it but the disk: it must leave the disk's reserve free (a compare per batch, a statfs
          // only every so often)
          const full = cap === undefined ? room.grown(sink.position) : undefined;
          if (full) answer.body.destroy(full);
          progress.report(sink.position, resource.total, false);
        },
        onTick: () => progress.flush(sink.position, resource.total),
        onPiped: (body) => head.watch(body, resource.total),
        onChunk: (chunk, fail) => head.feed(chunk, resource.total, fail),
      });
      if (resource.total !== undefined && sink.position !== resource.total) {
        throw new TransferFault(`got ${sink.position} of ${resource.total} bytes`, 'ECUTSHORT');
      }
      await head.settle(resource.total);
      progress.report(sink.position, resource.total, true);
      break;
    } catch (error) {
      if (req.signal?.aborted) throw cancelled(req.signal, 'download');
      if (error instanceof RefusedLink) {
        // the next attempt asks req.url again, whose redirect hands out a fresh link; a second refusal is the end
        if (links.renewed) throw refusedLinkError(error.url);
        links.renewed = true;
        req.debug?.(`${redactUrl(error.url)} refused the download link (HTTP 403): asking ${urlOrigin(req.url)} for a fresh one`);
        continue;
      }
      if (isUserError(error) || error instanceof DiskWriteError || error instanceof HashWorkerError) throw error;
      if (resource.ranges && sink.position > furthest) {
        furthest = sink.position;
        failures = 0;
      }
      const retryable = error instanceof RetryableStatus || error instanceof TransferFault || isTransientNetworkError(error, attempts > 1);
      // Not a network or HTTP problem at all (a bug): keep its stack instead of dressing it up.
      if (!retryable && errorCodes(error).length === 0) throw error;
      const retryAfter = error instanceof RetryableStatus ? error.retryAfterMs : undefined;
      const wait = retryAfter ?? backoffDelay(failures, req.backoffMs);
      // a retry budget in attempts alone lets a server that keeps making a little progress hold us for hours
      const outOfTime = now() - started + wait > maxRetryTime;
      if (
        !retryable ||
        failures >= retries ||
        outOfTime ||
        (retryAfter !== undefined && retryAfter > maxWait) ||
        attempts > (retries + 1) * 20
      ) {
        throw finalError(error, req.url, {
          plainHttpSetting: req.plainHttpSetting,
          position: sink.position,
          total: resource.total,
          attempts,
          timeoutMs,
          waitedMs: now() - started,
          speed,
        });
      }
      failures++;
      req.debug?.(
        `download of ${redactUrl(req.url)} failed at byte ${sink.position} (from ${start}): ${describe(error)}; retry ${failures}/${retries} in ${wait} ms`,
      );
      await sleep(wait, req.signal);
    }
  }

  const size = sink.position;
  if (req.expectedSize !== undefined && size !== req.expectedSize) {
    throw new UserError(`the download from ${urlOrigin(req.url)} has ${size} bytes but the service announced ${req.expectedSize}`, {
      fix: 'pull again; if it persists the image on the server is damaged',
      code: 'ESIZE',
    });
  }
  return { size, ...(await sink.digests()), contentType: resource.contentType, attempts, resumed };
}

function tooLong(req: DownloadRequest, cap: number): UserError {
  return new UserError(`the download from ${urlOrigin(req.url)} goes on past the ${cap} bytes the service announced`, {
    fix: 'nothing was stored; pull again, and if it persists the server is sending something other than the image',
    code: 'ESIZE',
  });
}

/**
 * Sends the GET for the next attempt (a Range request when resuming is possible) and checks the answer.
 * Resolves with the body to stream; a body that must be started over has already reset the sink.
 */
async function open(
  req: DownloadRequest,
  sink: FileSink,
  resource: Resource,
  timeoutMs: number,
): Promise<{ body: Body; resumed: boolean }> {
  const start = sink.position;
  const extra: Record<string, string> = { Accept: '*/*', 'Accept-Encoding': 'identity' };
  const resuming = start > 0 && resource.ranges;
  if (resuming) {
    extra.Range = `bytes=${start}-`;
    if (resource.validator) extra['If-Range'] = resource.validator;
  } else if (start > 0) {
    req.debug?.('the server does not support Range requests; starting over');
    await sink.reset();
  }
  const { response, url } = await getBody({
    url: req.url,
    headers: outgoingHeaders(req.headers, extra),
    timeoutMs,
    signal: req.signal,
    insecure: req.insecure,
    maxRedirects: req.maxRedirects,
    debug: req.debug,
    plainHttpSetting: req.plainHttpSetting,
  });
  const status = response.status;
  const body = response.data as Body;
  req.debug?.(
    `<- ${status} ${response.statusText ?? ''} content-length=${headerValue(response, 'content-length') ?? '-'} from ${redactUrl(url)}${body instanceof DirectBody ? ' (direct socket)' : ''}`,
  );

  if (status === 200) {
    if (start > 0) {
      req.debug?.('the server sent the whole file again; starting over');
      await sink.reset();
    }
    learn(resource, response, req);
    // Decided once, before the first byte (the hash state cannot move between threads).
    if (start === 0) sink.parallel = req.hashInWorker ?? preferWorkerHashing(resource.total);
    return { body, resumed: false };
  }
  if (status === 206 && resuming) {
    const range = parseContentRange(headerValue(response, 'content-range'));
    const consistent =
      range &&
      range.first === start &&
      range.total !== undefined &&
      range.last === range.total - 1 &&
      (resource.total === undefined || range.total === resource.total);
    if (consistent) {
      req.debug?.(`resuming at byte ${start}`);
      return { body, resumed: true };
    }
    releaseBody(response);
    req.debug?.('the server answered the Range request with another range; starting over');
    await sink.reset();
    throw new TransferFault('unusable partial answer', 'ECUTSHORT');
  }
  releaseBody(response);
  if (status === 416 && resuming) {
    await sink.reset();
    throw new TransferFault('range not satisfiable', 'ECUTSHORT');
  }
  if (isRetryableStatus(status)) throw new RetryableStatus(status, parseRetryAfter(headerValue(response, 'retry-after')));
  if (isRefusedLink(status, req.url, url)) throw new RefusedLink(url);
  throw httpStatusError(status, url);
}

/** Records size, Range support and validator from a full (200) answer, and checks the size promise. */
function learn(resource: Resource, response: AxiosResponse, req: DownloadRequest): void {
  const length = headerValue(response, 'content-length');
  resource.total = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
  resource.ranges = /\bbytes\b/i.test(headerValue(response, 'accept-ranges') ?? '');
  const etag = headerValue(response, 'etag');
  resource.validator = etag && !etag.startsWith('W/') ? etag : headerValue(response, 'last-modified');
  resource.contentType = headerValue(response, 'content-type');
  if (resource.total !== undefined && req.expectedSize !== undefined && resource.total !== req.expectedSize) {
    releaseBody(response);
    throw new UserError(`${urlOrigin(req.url)} sends ${resource.total} bytes but the service announced ${req.expectedSize}`, {
      fix: 'pull again; if it persists the image on the server is damaged or was replaced',
      code: 'ESIZE',
    });
  }
}

/**
 * Streams one answer body into the sink, abandoning it when no byte arrives for `timeoutMs`, or when it stays
 * below the speed floor for the floor's whole window.
 */
async function stream(
  body: Body,
  sink: FileSink,
  timeoutMs: number,
  floor: SpeedFloor,
  signal: AbortSignal | undefined,
  hooks: {
    onWritten: () => void;
    onTick: () => void;
    /** a stream body: watch it (the head probe) */
    onPiped: (body: Readable) => void;
    /** a direct body: each chunk in order until it answers false; a refusal goes to `fail` */
    onChunk: (chunk: Buffer, fail: (error: unknown) => void) => boolean;
  },
): Promise<void> {
  let seen = sink.position;
  let lastChange = now();
  // One coarse timer instead of a timer per chunk: it compares the byte count now and then.
  const watchdog = setInterval(
    () => {
      hooks.onTick();
      const at = now();
      if (sink.position !== seen) {
        seen = sink.position;
        lastChange = at;
      } else if (at - lastChange >= timeoutMs) {
        body.destroy(new TransferFault(`no data for ${timeoutMs} ms`, 'EIDLETIMEOUT'));
      }
      if (floor.tooSlow(sink.position, at)) {
        body.destroy(new TransferFault(`below ${floor.limit} bytes/s for ${floor.windowMs} ms`, 'ESLOW'));
      }
    },
    Math.max(20, Math.min(PROGRESS_INTERVAL_MS, timeoutMs / 4)),
  );
  try {
    if (body instanceof DirectBody) {
      await receive(body, sink, signal, hooks);
    } else {
      const piping = pump(body, sink.writer(hooks.onWritten), signal);
      // only once the pipe is attached: another 'data' listener earlier would start the flow without it
      hooks.onPiped(body);
      await piping;
    }
  } finally {
    clearInterval(watchdog);
    await sink.settled();
  }
}

/**
 * The direct path's pump: the body's batches go straight to the sink, and as in `pump` the bytes received before
 * a failure are still written (DirectBody reports a cut only after they were taken).
 */
async function receive(
  body: DirectBody,
  sink: FileSink,
  signal: AbortSignal | undefined,
  hooks: { onWritten: () => void; onChunk: (chunk: Buffer, fail: (error: unknown) => void) => boolean },
): Promise<void> {
  const onAbort = () => body.destroy(signal?.reason ?? new Error('aborted'));
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let probing = true;
  const fail = (error: unknown) => body.destroy(error);
  try {
    await body.receive(async (chunks) => {
      for (let i = 0; probing && i < chunks.length; i++) probing = hooks.onChunk(chunks[i]!, fail);
      await sink.accept(chunks, hooks.onWritten);
    }, sink.readBuffers());
    // the attempt is over only when its bytes are in the file: a disk error then fails this attempt
    await sink.flushed();
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Like stream.pipeline, with one difference that matters for resuming: when the body fails, the bytes already
 * received (up to the writer's buffer) are still written, so the next attempt continues right where the data
 * stopped and the retry budget sees real progress.
 */
function pump(body: Readable, writer: Writable, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let bodyError: unknown;
    const onAbort = () => {
      body.destroy();
      writer.destroy();
      reject(signal?.reason ?? new Error('aborted'));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (error?: unknown) => {
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    finished(body, { writable: false }, (error) => {
      if (!error) return; // pipe() ends the writer; 'finish' settles
      bodyError = error;
      body.unpipe(writer);
      writer.end();
    });
    writer.once('finish', () => done(bodyError));
    writer.once('error', (error) => {
      body.destroy();
      done(error);
    });
    body.pipe(writer);
  });
}

/** An answer's body: a stream from axios's adapter, or the direct socket's. */
type Body = Readable | DirectBody;

/**
 * At most ~10 progress calls a second, plus the ones that must be seen (start, end); `flush` (called by the
 * watchdog tick) reports bytes that arrived just before a pause, so the display never lags behind a stall.
 */
function throttle(callback: DownloadRequest['onProgress']) {
  let last = 0;
  let reported = -1;
  const report = (done: number, total: number | undefined, force: boolean) => {
    if (!callback) return;
    const at = now();
    if (!force && at - last < PROGRESS_INTERVAL_MS) return;
    last = at;
    reported = done;
    callback(done, total);
  };
  return {
    report,
    flush: (done: number, total: number | undefined) => {
      if (done !== reported) report(done, total, false);
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof RetryableStatus || error instanceof TransferFault) return error.message;
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'error';
}

interface Outcome {
  position: number;
  total: number | undefined;
  attempts: number;
  timeoutMs: number;
  /** real time since the first attempt */
  waitedMs: number;
  speed: { limit: number; windowMs: number };
  plainHttpSetting?: string;
}

function finalError(error: unknown, url: string, outcome: Outcome): UserError {
  const { position, total, attempts, timeoutMs, waitedMs, speed } = outcome;
  if (error instanceof RetryableStatus) return httpStatusError(error.status, url, { attempts, retryAfterMs: error.retryAfterMs });
  const codes = (error as { code?: unknown })?.code;
  if (codes === 'ESLOW') {
    const got = total === undefined ? `${position} bytes` : `${position} of ${total} bytes`;
    return new UserError(
      `the download from ${urlOrigin(url)} stayed slower than ${speed.limit} bytes/s for ${seconds(speed.windowMs)} s (${got} in ${seconds(waitedMs)} s, ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'})`,
      {
        fix: 'try again later; on a slow link raise SREGISTRY_SPEED_TIME (seconds) or lower SREGISTRY_SPEED_LIMIT (bytes/s, 0 = no limit)',
        code: 'ESLOW',
        cause: error,
      },
    );
  }
  if (total !== undefined && position < total && codes !== 'EIDLETIMEOUT') {
    return new UserError(
      `the download from ${urlOrigin(url)} was cut short: got ${position} of ${total} bytes after ${attempts} attempts`,
      {
        fix: 'try again later; if it persists the server or a proxy is truncating the file',
        code: 'ESIZE',
        cause: error,
      },
    );
  }
  return networkError(error, url, { timeoutMs, waitedMs, attempts, plainHttpSetting: outcome.plainHttpSetting });
}

function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
