// The receive path of a download: an HTTP/1.1 GET on a plain socket that reads with `onread` into memory the
// caller gives (ReadBuffers: the hash threads' ring, or a ranged part's reused buffer), else into large blocks of
// our own, and hands the body's bytes to the caller as views of that memory, with no HTTP parser callbacks and
// no stream in between. Measured on the 2-vCPU VM, 512 MiB from a local node:http server: node:http (and undici)
// cost 0.57-0.76 CPU s to receive it, the socket read this way 0.27-0.28 (curl 0.36). Most of node's cost is its
// parser and the 64 KiB stream hand-offs, not the disk (docs/performance.md, "Receiving").
//
// sendFollowingRedirects sends every plain-http GET this way (direct-send.ts), so redirects, their credential rules
// and the debug lines stay its own; the ranged parts after the probe, at a URL the redirects already led to, call
// DirectBody.get themselves (directTarget). What it does not do goes to axios:
// TLS (tls.connect honours `onread` on Node 20, but each read is one TLS record of at most 16 KiB, so the large
// reads this path is for do not happen), a proxy from the environment (proxy-from-env, the library axios asks),
// credentials in the URL, any other method.
import net from 'node:net';
import { ChunkedDecoder } from './chunked';
import { type Framing, framing, HttpParseError, parseHead, type ResponseHead } from './http-head';

/**
 * Reads go into blocks of this size, each read into what is left of the current block, so one block carries
 * several reads and the views handed on stay valid until the file and the hashes are done with them (the block
 * is then garbage). A read is offered at least MIN_READ bytes, or a new block is started.
 */
const BLOCK_BYTES = 2 * 1024 * 1024;
const MIN_READ = 256 * 1024;
/**
 * The answer's head (and whatever body came with it) is read into a small block instead: most answers hand their
 * body to the consumer's memory, so a block of BLOCK_BYTES per request was garbage at once. 512 MiB in 5 MiB ranged
 * parts allocated 206 MB of such blocks, and the external memory set off 5 full garbage collections.
 */
const HEAD_BLOCK_BYTES = 64 * 1024;
/** A head read is offered at least this much of its block, or a new small block is started. */
const MIN_HEAD_READ = 4 * 1024;
/** Body bytes read but not yet taken by the consumer before the socket is paused (the sink has its own queues). */
const PENDING_MAX = 2 * 1024 * 1024;
/**
 * Most bytes one read asks for in the consumer's memory (ReadBuffers): large reads cost fewer calls (512 MiB read
 * into a ring in 1 MiB reads and written in 64 KiB pieces: 0.40-0.42 CPU s, in 64 KiB reads 0.59-0.62).
 */
const RING_READ_MAX = 1024 * 1024;
/**
 * The read after a pause goes to a small block of our own (node picks each read's memory right after the read
 * before, see nextBuffer), copied into the consumer's memory as it arrives; the socket reads on only once that
 * memory has this much free.
 */
const SCRATCH_BYTES = 64 * 1024;

/**
 * The proxy for a URL, decided by the library axios's adapter decides with, so both paths agree on which requests
 * go through a proxy. It reads only `*_proxy` variables (any case): without one there is none, and the library is
 * not loaded (a few ms of every download's start).
 */
function proxyFor(url: string): string {
  if (!Object.keys(process.env).some((name) => /_proxy$/i.test(name))) return '';
  const { getProxyForUrl } = require('proxy-from-env') as { getProxyForUrl(url: string): string };
  return getProxyForUrl(url);
}

/**
 * Whether something replaced node:http's request functions: nock (through @mswjs/interceptors, as Proxies), msw,
 * or an older interceptor (plain functions of other names). Requests then go through node:http, so that whoever
 * intercepts them still sees them: a test of a plugin that mocks its registry with nock keeps working. node:http
 * not loaded yet means nobody patched it, and it is not loaded for the check.
 */
function httpIntercepted(): boolean {
  const loaded = (process as unknown as { moduleLoadList?: string[] }).moduleLoadList;
  if (Array.isArray(loaded) && !loaded.includes('NativeModule http')) return false;
  const http = require('node:http') as typeof import('node:http');
  const { isProxy } = require('node:util').types as typeof import('node:util').types;
  return [http.request, http.get, http.ClientRequest].some((f) => isProxy(f)) || http.request.name !== 'request' || http.get.name !== 'get';
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** what node's http refuses in a header value (checkInvalidHeaderChar): the head is written as latin1 */
const UNSAFE_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** Takes body bytes in order; resolves when it may be given more. */
export type BodyConsumer = (chunks: Buffer[]) => Promise<void>;

/**
 * Memory of the consumer's the socket may read into (the hash threads' ring, byte-ring.ts), so the body's bytes
 * are not copied there again: `space(max)` is where the next bytes may go (contiguous, up to `free()` bytes in
 * all), `commit(n)` says n body bytes landed at its start, and the consumer then gets them as views of it, in
 * order. `release` forgets bytes committed but never handed on (the body ended early).
 */
export interface ReadBuffers {
  free(): number;
  space(max: number): Buffer | undefined;
  commit(n: number): void;
  release(): void;
  /** resolves once `free()` is at least `bytes` (or the memory was given up) */
  whenFree(bytes: number): Promise<void>;
}

function codeError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The URL when a GET of it may go over a socket of our own: plain http, no credentials in it, no proxy for it. */
export function directTarget(href: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' || url.username || url.password) return undefined;
  if (proxyFor(url.href) || httpIntercepted()) return undefined;
  return url;
}

/** The request's bytes; refuses what node's http would refuse (a header value that splits the request). */
function requestHead(url: URL, headers: Record<string, string>): string {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`];
  const names = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  if (!names.has('host')) lines.push(`Host: ${url.host}`);
  // the connection carries one answer: the download is one body, and the body's end is then certain
  lines.push('Connection: close');
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'connection') continue;
    if (!TOKEN.test(name)) throw codeError(`Header name must be a valid HTTP token ["${name}"]`, 'ERR_INVALID_HTTP_TOKEN');
    if (UNSAFE_VALUE.test(value)) throw codeError(`Invalid character in header content ["${name}"]`, 'ERR_INVALID_CHAR');
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * One GET on its own connection: `get` resolves with the answer's head; the body waits (the socket paused) until
 * `receive` is called, or is dropped with `destroy`.
 */
export class DirectBody {
  private readonly socket: net.Socket;
  private block = Buffer.allocUnsafe(HEAD_BLOCK_BYTES);
  private used = 0;
  private phase: 'head' | 'body' | 'complete' = 'head';
  private headBytes?: Buffer;
  private framing: Framing = { kind: 'close' };
  private left = 0;
  private chunked?: ChunkedDecoder;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private consumer?: BodyConsumer;
  /** the consumer's memory; once given, every body byte is handed on as a view of it */
  private buffers?: ReadBuffers;
  /** the memory the next read goes to is the consumer's */
  private nextInPlace = false;
  /** the body bytes of the read being parsed, when `buffers` are set: gathered, then moved there */
  private gathered?: Buffer[];
  private scratch?: Buffer;
  private waitingForRoom = false;
  private busy = false;
  private reading = true;
  /** a failure of the connection or the framing: reported once the bytes before it were taken */
  private fault?: unknown;
  /** a failure from outside (destroy): reported once the batch in progress settles, the rest dropped */
  private stopped?: unknown;
  private onHead?: { resolve: (head: ResponseHead) => void; reject: (error: unknown) => void };
  private onDone?: { resolve: () => void; reject: (error: unknown) => void };

  static get(url: URL, headers: Record<string, string>, options: { timeoutMs: number; signal?: AbortSignal }) {
    const request = requestHead(url, headers);
    const body = new DirectBody(url);
    return new Promise<{ head: ResponseHead; body: DirectBody }>((resolve, reject) => {
      const { signal } = options;
      const onAbort = () => body.fail(signal?.reason ?? codeError('canceled', 'ERR_CANCELED'));
      const settle = () => {
        signal?.removeEventListener('abort', onAbort);
        body.socket.setTimeout(0);
      };
      body.onHead = {
        resolve: (head) => {
          settle();
          resolve({ head, body });
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      // like axios's timeout (clarifyTimeoutError): no answer within the time is ETIMEDOUT; the body has its own watch
      if (options.timeoutMs > 0) {
        body.socket.setTimeout(options.timeoutMs, () => body.fail(codeError(`timeout of ${options.timeoutMs}ms exceeded`, 'ETIMEDOUT')));
      }
      body.socket.write(request, 'latin1');
    });
  }

  private constructor(url: URL) {
    this.socket = net.connect({
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(url.port || 80),
      noDelay: true,
      onread: { buffer: () => this.nextBuffer(), callback: (n, buffer) => this.read(buffer.subarray(0, n) as Buffer) },
    });
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('end', () => this.eof());
    this.socket.on('close', () => this.eof());
  }

  /**
   * Where the next read goes. Node asks right after each read (and once at the start), not when the next read
   * happens: the consumer's memory when it has room then; a small scratch block while the socket is about to
   * pause (no consumer yet, or its memory full); else the rest of the current block of our own, or a new one.
   */
  private nextBuffer(): Buffer {
    this.nextInPlace = false;
    if (this.buffers || (this.phase === 'body' && !this.consumer)) {
      const space = this.buffers && this.buffers.free() >= SCRATCH_BYTES ? this.buffers.space(RING_READ_MAX) : undefined;
      this.nextInPlace = space !== undefined;
      this.scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES);
      return space ?? this.scratch;
    }
    const head = this.phase === 'head';
    if (this.block.length - this.used < (head ? MIN_HEAD_READ : MIN_READ)) {
      this.block = Buffer.allocUnsafe(head ? HEAD_BLOCK_BYTES : BLOCK_BYTES);
      this.used = 0;
    }
    return this.block.subarray(this.used);
  }

  /** One socket read; false pauses the socket. */
  private read(bytes: Buffer): boolean {
    const inPlace = this.nextInPlace;
    if (this.buffers) this.gathered = [];
    else if (bytes.buffer === this.block.buffer) this.used += bytes.length;
    try {
      if (this.phase === 'head') this.readHead(bytes);
      else if (this.phase === 'body') this.readBody(bytes);
      if (this.gathered) {
        this.hand(this.gathered, inPlace ? bytes : undefined);
        this.pump();
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.gathered = undefined;
    }
    // the head is read on; a body only while someone takes it and what waits for them stays small
    this.reading = this.phase === 'head' ? !this.stopped : this.mayRead();
    return this.reading;
  }

  /** Whether the body may be read on: someone takes it, what waits for them is small, and there is room. */
  private mayRead(): boolean {
    if (this.phase !== 'body' || this.consumer === undefined || this.pendingBytes >= PENDING_MAX || this.fault || this.stopped)
      return false;
    if (!this.buffers || this.buffers.free() >= SCRATCH_BYTES) return true;
    // the consumer's memory is full (its hashes are a ring behind): read on once it has room
    if (!this.waitingForRoom) {
      this.waitingForRoom = true;
      void this.buffers.whenFree(SCRATCH_BYTES).then(() => {
        this.waitingForRoom = false;
        this.pump();
      });
    }
    return false;
  }

  /**
   * Body bytes into the consumer's memory, queued as views of it. Read there in place (`read` is that memory):
   * moved together to the read's start when head or chunk framing came with them (rare, and small). Else copied.
   */
  private hand(pieces: Buffer[], read: Buffer | undefined): void {
    const buffers = this.buffers!;
    if (read) {
      let length = 0;
      for (const piece of pieces) {
        const from = piece.byteOffset - read.byteOffset;
        if (from !== length) read.copyWithin(length, from, from + piece.length);
        length += piece.length;
      }
      if (length > 0) this.queue(buffers, read.subarray(0, length));
      return;
    }
    for (const piece of pieces) {
      for (let offset = 0; offset < piece.length; ) {
        const space = buffers.space(piece.length - offset);
        // there is room: the socket reads on only when as much as the scratch block is free
        if (!space) throw new Error('no room for the body in the ring');
        piece.copy(space, 0, offset, offset + space.length);
        offset += space.length;
        this.queue(buffers, space);
      }
    }
  }

  private queue(buffers: ReadBuffers, view: Buffer): void {
    buffers.commit(view.length);
    this.pending.push(view);
    this.pendingBytes += view.length;
  }

  private readHead(bytes: Buffer): void {
    let all = this.headBytes ? Buffer.concat([this.headBytes, bytes]) : bytes;
    for (;;) {
      const head = parseHead(all);
      if (!head) {
        // copied: a head split across reads is rare and small, and the block goes on being filled
        this.headBytes = Buffer.from(all);
        return;
      }
      all = all.subarray(head.length);
      this.headBytes = undefined;
      if (head.status === 101) throw new HttpParseError('Unexpected protocol switch', 'HPE_INVALID_STATUS');
      if (head.status >= 100 && head.status < 200) continue; // 100 Continue, 103 Early Hints: the answer follows
      this.framing = framing(head);
      this.left = this.framing.kind === 'length' ? this.framing.length : 0;
      if (this.framing.kind === 'chunked') this.chunked = new ChunkedDecoder();
      this.phase = 'body';
      if (this.framing.kind === 'none' || (this.framing.kind === 'length' && this.left === 0)) this.phase = 'complete';
      else if (all.length > 0) this.readBody(all);
      this.onHead?.resolve(head);
      this.onHead = undefined;
      return;
    }
  }

  private readBody(bytes: Buffer): void {
    if (this.framing.kind === 'length') {
      const n = Math.min(this.left, bytes.length);
      this.left -= n;
      this.take([bytes.subarray(0, n)]);
      if (this.left === 0) this.phase = 'complete';
    } else if (this.chunked) {
      this.take(this.chunked.decode(bytes));
      if (this.chunked.done) this.phase = 'complete';
    } else {
      this.take([bytes]);
    }
    // bytes read in place are handed on by read() after this: finishing here would resolve before the consumer
    // has taken the last of them (and lose its refusal of them)
    if (this.phase === 'complete' && !this.gathered) this.pump();
  }

  private take(chunks: Buffer[]): void {
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      if (this.gathered) {
        this.gathered.push(chunk);
        continue;
      }
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    if (!this.gathered) this.pump();
  }

  /** The connection ended: the end of a body read until close, a cut anywhere else. */
  private eof(): void {
    if (this.phase === 'complete' || this.fault || this.stopped) return;
    if (this.phase === 'head') {
      this.fail(codeError('socket hang up', 'ECONNRESET'));
    } else if (this.framing.kind === 'close') {
      this.phase = 'complete';
      this.pump();
    } else {
      this.fail(codeError('aborted', 'ECONNRESET'));
    }
  }

  /** A failure of the connection or the answer: the bytes read before it are still taken, then it is reported. */
  private fail(error: unknown): void {
    if (this.onHead) {
      this.stopped = error;
      this.socket.destroy();
      this.onHead.reject(error);
      this.onHead = undefined;
      return;
    }
    if (this.phase === 'complete' || this.fault || this.stopped) return;
    this.fault = error;
    this.socket.destroy();
    this.pump();
  }

  /**
   * Stops the body (an idle or size watch, an abort, a redirect's body not wanted): nothing more is taken,
   * and `receive` rejects with `error` once the batch in progress has settled.
   */
  destroy(error?: unknown): void {
    this.socket.destroy();
    if (this.phase === 'complete' && !this.busy && this.pending.length === 0) return;
    this.stopped ??= error ?? codeError('aborted', 'ECONNRESET');
    this.pending = [];
    this.pendingBytes = 0;
    this.pump();
  }

  /**
   * Hands the body to `consumer`, batch after batch; resolves when all of it was taken. With `buffers`, the socket
   * reads into the consumer's memory when it has room there.
   */
  receive(consumer: BodyConsumer, buffers?: ReadBuffers): Promise<void> {
    if (this.consumer) return Promise.reject(new Error('the body is already being received'));
    this.consumer = consumer;
    // the bytes that came with the head go there too, when there is room for them (else the body is handed on
    // in blocks of its own, and the consumer copies them)
    if (buffers && buffers.free() >= this.pendingBytes + SCRATCH_BYTES) {
      this.buffers = buffers;
      const own = this.pending;
      this.pending = [];
      this.pendingBytes = 0;
      this.hand(own, undefined);
    }
    return new Promise<void>((resolve, reject) => {
      this.onDone = { resolve, reject };
      this.pump();
    });
  }

  private pump(): void {
    if (!this.consumer || this.busy) return;
    if (this.stopped) {
      this.finish(this.stopped);
      return;
    }
    if (this.pending.length === 0) {
      if (this.fault) this.finish(this.fault);
      else if (this.phase === 'complete') this.finish();
      else this.readOn();
      return;
    }
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.busy = true;
    const settle = () => {
      this.busy = false;
      this.pump();
    };
    this.consumer(batch).then(settle, (error: unknown) => {
      this.stopped ??= error;
      this.socket.destroy();
      settle();
    });
    this.readOn();
  }

  private readOn(): void {
    if (!this.reading && this.mayRead()) {
      this.reading = true;
      this.socket.resume();
    }
  }

  private finish(error?: unknown): void {
    const done = this.onDone;
    if (!done) return;
    this.onDone = undefined;
    this.socket.destroy();
    // every view handed on was taken; bytes read in place but dropped (a failure) are forgotten
    this.buffers?.release();
    if (error) done.reject(error);
    else done.resolve();
  }
}
