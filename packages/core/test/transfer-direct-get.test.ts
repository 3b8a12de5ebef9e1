// The download's direct receive path (direct-get.ts, http-head.ts, chunked.ts) against servers on 127.0.0.1 that
// write exact bytes: heads split anywhere, bodies starting in the head's read, chunked and close-delimited bodies,
// servers that keep the connection open, cuts, and answers that are not valid HTTP. Also which requests the
// path leaves to axios (TLS, a proxy from the environment).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isUserError, type UserError } from '../src/errors';
import { ByteRing } from '../src/transfer/byte-ring';
import { DirectBody, directTarget } from '../src/transfer/direct-get';
import { downloadToFile } from '../src/transfer/index';
import type { DownloadRequest } from '../src/transfer/types';
import { selfSignedCertificate } from './tls-helpers';

const DATA = randomBytes(3 * 1024 * 1024 + 777);
const SHA256 = createHash('sha256').update(DATA).digest('hex');

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sreg-direct-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const dest = () => path.join(dir, `out-${++n}.sif`);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RawServer {
  url: string;
  /** the request heads received, as text */
  requests: string[];
  close(): Promise<void>;
}

/** A TCP server that answers each connection with `answer` (which writes raw bytes); requests are recorded. */
async function rawServer(answer: (socket: net.Socket, count: number) => Promise<void> | void): Promise<RawServer> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      requests.push(head);
      Promise.resolve(answer(socket, requests.length)).catch(() => socket.destroy());
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes the pieces one after the other, waiting a little between them so each is its own read. */
async function writeSlowly(socket: net.Socket, pieces: Buffer[]): Promise<void> {
  for (const piece of pieces) {
    await new Promise<void>((resolve) => socket.write(piece, () => resolve()));
    await pause(15);
  }
}

function head(lines: string[]): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** Downloads with debug lines kept; says whether the direct path carried the answer. */
async function download(request: Omit<DownloadRequest, 'dest'>) {
  const lines: string[] = [];
  const file = dest();
  const result = await downloadToFile({ backoffMs: 1, ...request, dest: file, debug: (line) => lines.push(line) });
  return { result, file, lines, direct: lines.some((line) => line.endsWith('(direct socket)')) };
}

async function rejectsUser(promise: Promise<unknown>, check: (error: UserError) => void): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isUserError(error), `expected a UserError, got ${String(error)}`);
    check(error);
    return true;
  });
}

/** A chunked encoding of DATA in chunks of varying sizes, with an extension and a trailer. */
function chunkedData(): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < DATA.length; i++) {
    const size = Math.min(DATA.length - at, [1, 70_000, 5, 300_000, 4096][i % 5]!);
    parts.push(Buffer.from(`${size.toString(16)}${i === 1 ? ';name=value' : ''}\r\n`), DATA.subarray(at, at + size), Buffer.from('\r\n'));
    at += size;
  }
  parts.push(Buffer.from('0\r\nX-Trailer: yes\r\n\r\n'));
  return Buffer.concat(parts);
}

/** Splits `bytes` into pieces at the given offsets. */
function splitAt(bytes: Buffer, offsets: number[]): Buffer[] {
  const pieces: Buffer[] = [];
  let last = 0;
  for (const offset of offsets) {
    pieces.push(bytes.subarray(last, offset));
    last = offset;
  }
  pieces.push(bytes.subarray(last));
  return pieces;
}

// Every shape twice: hashed on the main thread (the body in blocks of the path's own), and on threads, where the
// socket reads into the hash ring and head or chunk framing in a read is moved out of the ring's way.
for (const threads of [false, true]) {
  describe(`direct receive path${threads ? ', hashed on threads (the socket reads into the hash ring)' : ''}`, () => {
    const fetchTo = (request: Omit<DownloadRequest, 'dest'>) => download({ hashInWorker: threads, ...request });

    test('a head split across many reads, then the body: exact file, sent as a plain GET on its own connection', async () => {
      const answer = head([
        'HTTP/1.1 200 OK',
        `Content-Length: ${DATA.length}`,
        'Content-Type: application/img',
        'X-Long: '.padEnd(3000, 'y'),
      ]);
      const server = await rawServer((socket) =>
        writeSlowly(socket, [...splitAt(answer, [3, 9, 17, 40, 1000, answer.length - 3, answer.length - 1]), DATA]),
      );
      try {
        const { result, file, direct } = await fetchTo({ url: `${server.url}/img?x=1`, headers: { 'X-Custom': 'a b' } });
        assert.equal(direct, true);
        assert.equal(result.sha256, SHA256);
        assert.equal(result.contentType, 'application/img');
        assert.deepEqual(fs.readFileSync(file), DATA);
        const request = server.requests[0]!;
        assert.match(request, /^GET \/img\?x=1 HTTP\/1\.1\r\n/);
        assert.match(request, /\r\nHost: 127\.0\.0\.1:\d+\r\n/);
        assert.match(request, /\r\nConnection: close\r\n/);
        assert.match(request, /\r\nX-Custom: a b\r\n/);
        assert.match(request, /\r\nAccept-Encoding: identity\r\n/);
      } finally {
        await server.close();
      }
    });

    test('a body that starts in the read of the head, bare-LF heads and interim 1xx answers', async () => {
      const answer = Buffer.concat([
        Buffer.from('HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n'),
        Buffer.from(`HTTP/1.1 200 OK\nContent-Length: ${DATA.length}\n\n`),
        DATA,
      ]);
      const server = await rawServer((socket) => writeSlowly(socket, [answer.subarray(0, 100_000), answer.subarray(100_000)]));
      try {
        const { result, direct } = await fetchTo({ url: `${server.url}/img` });
        assert.equal(direct, true);
        assert.equal(result.sha256, SHA256);
      } finally {
        await server.close();
      }
    });

    test('chunked bodies split anywhere, with extensions and trailers', async () => {
      const body = chunkedData();
      const answer = Buffer.concat([head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']), body]);
      // cuts inside size lines, between CR and LF, inside data and inside the trailers
      const offsets = [50, 51, 52, 53, 70_100, 70_101, 70_120, 1_000_000, answer.length - 10, answer.length - 3, answer.length - 1];
      const server = await rawServer((socket) => writeSlowly(socket, splitAt(answer, offsets)));
      try {
        const { result, direct } = await fetchTo({ url: `${server.url}/img`, expectedSize: DATA.length });
        assert.equal(direct, true);
        assert.equal(result.size, DATA.length);
        assert.equal(result.sha256, SHA256);
      } finally {
        await server.close();
      }
    });

    test('a server that keeps the connection open after the body (keep-alive, chunked or with a length) does not hold the download', async () => {
      for (const framing of ['length', 'chunked'] as const) {
        const answer =
          framing === 'length'
            ? Buffer.concat([head(['HTTP/1.1 200 OK', 'Connection: keep-alive', `Content-Length: ${DATA.length}`]), DATA])
            : Buffer.concat([head(['HTTP/1.1 200 OK', 'Connection: keep-alive', 'Transfer-Encoding: chunked']), chunkedData()]);
        let closed!: Promise<void>;
        const server = await rawServer((socket) => {
          closed = new Promise((resolve) => socket.on('close', () => resolve()));
          socket.write(answer); // and never ends it
        });
        try {
          const { result, direct } = await fetchTo({ url: `${server.url}/img`, timeoutMs: 5000 });
          assert.equal(direct, true);
          assert.equal(result.sha256, SHA256, framing);
          await closed; // the client closed it
        } finally {
          await server.close();
        }
      }
    });

    test('a body without length ends with the connection; an empty body is an empty file', async () => {
      const server = await rawServer((socket, count) => {
        if (count === 1) socket.end(Buffer.concat([head(['HTTP/1.0 200 OK']), DATA]));
        else socket.write(head(['HTTP/1.1 200 OK', 'Content-Length: 0'])); // left open: the length says it is over
      });
      try {
        const whole = await fetchTo({ url: `${server.url}/img` });
        assert.equal(whole.direct, true);
        assert.equal(whole.result.sha256, SHA256);
        const empty = await fetchTo({ url: `${server.url}/empty`, timeoutMs: 5000 });
        assert.equal(empty.result.size, 0);
        assert.equal(fs.statSync(empty.file).size, 0);
      } finally {
        await server.close();
      }
    });

    test('cuts: a chunked body cut before its last chunk is fetched again; a cut with a length resumes with Range', async () => {
      const chunked = Buffer.concat([head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']), chunkedData()]);
      const server = await rawServer((socket, count) => {
        const range = /\r\nRange: bytes=(\d+)-\r\n/i.exec(server.requests[count - 1]!);
        if (server.requests[count - 1]!.startsWith('GET /chunked')) {
          if (count === 1) socket.end(chunked.subarray(0, 1_500_000));
          else socket.end(chunked);
          return;
        }
        const start = range ? Number(range[1]) : 0;
        const lines = range
          ? ['HTTP/1.1 206 Partial Content', `Content-Range: bytes ${start}-${DATA.length - 1}/${DATA.length}`]
          : ['HTTP/1.1 200 OK'];
        const answer = Buffer.concat([
          head([...lines, `Content-Length: ${DATA.length - start}`, 'Accept-Ranges: bytes', 'ETag: "v1"']),
          DATA.subarray(start),
        ]);
        if (!range)
          socket.end(answer.subarray(0, 2_000_000)); // cut
        else socket.end(answer);
      });
      try {
        const cut = await fetchTo({ url: `${server.url}/chunked` });
        assert.equal(cut.result.sha256, SHA256);
        assert.equal(cut.result.attempts, 2);
        assert.equal(cut.result.resumed, false);
        const resumed = await fetchTo({ url: `${server.url}/ranged` });
        assert.equal(resumed.direct, true);
        assert.equal(resumed.result.sha256, SHA256);
        assert.equal(resumed.result.resumed, true);
        assert.match(server.requests.at(-1)!, /\r\nIf-Range: "v1"\r\n/);
      } finally {
        await server.close();
      }
    });

    test('a big chunked body hashed on threads: the file holds exactly the bytes, md5 and sha256 match', async () => {
      const big = Buffer.concat(Array.from({ length: 8 }, () => DATA));
      const parts: Buffer[] = [head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'])];
      for (let at = 0; at < big.length; at += 3_000_001) {
        const piece = big.subarray(at, at + 3_000_001);
        parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
      }
      parts.push(Buffer.from('0\r\n\r\n'));
      const server = await rawServer((socket) => socket.end(Buffer.concat(parts)));
      try {
        const { result, file, direct } = await fetchTo({ url: `${server.url}/big`, hashes: ['md5', 'sha256'], hashInWorker: true });
        assert.equal(direct, true);
        assert.equal(result.size, big.length);
        assert.equal(result.sha256, createHash('sha256').update(big).digest('hex'));
        assert.equal(result.md5, createHash('md5').update(big).digest('hex'));
        assert.ok(fs.readFileSync(file).equals(big), 'the file is the bytes that were hashed');
      } finally {
        await server.close();
      }
    });

    test('an abort while waiting for the head ends at once, without a retry or a file', async () => {
      const server = await rawServer(() => undefined); // never answers
      try {
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 50);
        const file = dest();
        const started = Date.now();
        await rejectsUser(downloadToFile({ url: `${server.url}/img`, dest: file, signal: controller.signal }), (error) =>
          assert.equal(error.code, 'ECANCELLED'),
        );
        assert.ok(Date.now() - started < 2000);
        assert.equal(server.requests.length, 1);
        assert.equal(fs.existsSync(file), false);
      } finally {
        await server.close();
      }
    });

    test('answers that are not valid HTTP are one line, not retried, and leave no file', async () => {
      const bad: Array<[string, Buffer]> = [
        ['not HTTP at all', Buffer.from('SSH-2.0-OpenSSH_9.6\r\n')],
        ['a head over 16 KiB', head(['HTTP/1.1 200 OK', `X-Big: ${'z'.repeat(17 * 1024)}`])],
        ['an endless head line', Buffer.from(`HTTP/1.1 200 OK\r\nX-Big: ${'z'.repeat(40 * 1024)}`)],
        ['a bad status line', head(['HTTP/1.1 2x0 OK', 'Content-Length: 1'])],
        ['HTTP/2 text', head(['HTTP/2 200', 'Content-Length: 1'])],
        ['a header without a colon', head(['HTTP/1.1 200 OK', 'Content-Length 10'])],
        ['a folded header', head(['HTTP/1.1 200 OK', 'X-A: b', ' c', 'Content-Length: 1'])],
        ['a control character', head(['HTTP/1.1 200 OK', 'X-A: b\x01c', 'Content-Length: 1'])],
        ['two lengths', head(['HTTP/1.1 200 OK', 'Content-Length: 10', 'Content-Length: 11'])],
        ['length and chunked', head(['HTTP/1.1 200 OK', 'Content-Length: 10', 'Transfer-Encoding: chunked'])],
        ['a bad length', head(['HTTP/1.1 200 OK', 'Content-Length: -1'])],
        ['another transfer coding', head(['HTTP/1.1 200 OK', 'Transfer-Encoding: gzip'])],
        [
          'a bad chunk size',
          Buffer.concat([head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']), Buffer.from('zz\r\nhello\r\n0\r\n\r\n')]),
        ],
        [
          'chunk data overrunning its size',
          Buffer.concat([head(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']), Buffer.from('2\r\nhello\r\n0\r\n\r\n')]),
        ],
        ['a protocol switch', head(['HTTP/1.1 101 Switching Protocols', 'Upgrade: h2c'])],
      ];
      for (const [what, answer] of bad) {
        const server = await rawServer((socket) => socket.end(answer));
        try {
          const file = dest();
          await rejectsUser(downloadToFile({ url: `${server.url}/img`, dest: file, backoffMs: 1 }), (error) => {
            assert.equal(error.message, `${server.url} did not answer with valid HTTP`, what);
            assert.equal(error.code, 'ENETWORK');
          });
          assert.equal(server.requests.length, 1, `${what}: not retried`);
          assert.equal(fs.existsSync(file), false, what);
        } finally {
          await server.close();
        }
      }
    });

    test('no answer at all: a hang-up before the head is retried; silence is the timeout error', async () => {
      const server = await rawServer((socket, count) => {
        if (count === 1) socket.destroy();
        else if (count === 2) socket.end(Buffer.concat([head(['HTTP/1.1 200 OK', `Content-Length: ${DATA.length}`]), DATA]));
        // later requests get no answer
      });
      try {
        const { result } = await fetchTo({ url: `${server.url}/img` });
        assert.equal(result.sha256, SHA256);
        assert.equal(result.attempts, 2);
        await rejectsUser(downloadToFile({ url: `${server.url}/img`, dest: dest(), timeoutMs: 200, retries: 1, backoffMs: 1 }), (error) => {
          assert.equal(error.code, 'ETIMEOUT');
          assert.match(error.message, /^no answer from http:\/\/127\.0\.0\.1:\d+ within 200 ms/);
        });
        assert.equal(server.requests.length, 4);
      } finally {
        await server.close();
      }
    });

    test('header values: control characters never reach the wire; one outside latin1 is refused before anything is sent', async () => {
      const server = await rawServer((socket) => socket.end(head(['HTTP/1.1 200 OK', 'Content-Length: 0'])));
      try {
        await fetchTo({ url: `${server.url}/img`, headers: { 'X-A': 'b\r\nX-Injected: 1', 'X-B': 'caf\u00e9' } });
        assert.equal(server.requests.length, 1);
        assert.doesNotMatch(server.requests[0]!, /\r\nX-Injected/);
        assert.match(server.requests[0]!, /\r\nX-B: caf\xe9\r\n/, 'latin1 as node writes it');
        await rejectsUser(downloadToFile({ url: `${server.url}/img`, dest: dest(), headers: { 'X-A': '\u20ac' } }), (error) => {
          assert.match(error.message, /ERR_INVALID_CHAR/);
        });
        assert.equal(server.requests.length, 1);
      } finally {
        await server.close();
      }
    });

    test('a proxy from the environment takes the request through axios; no_proxy lets it go direct', async () => {
      const seen: string[] = [];
      const proxy = http.createServer((req, res) => {
        seen.push(req.url ?? '');
        res.writeHead(200, { 'Content-Length': DATA.length });
        res.end(DATA);
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      const server = await rawServer((socket) =>
        socket.end(Buffer.concat([head(['HTTP/1.1 200 OK', `Content-Length: ${DATA.length}`]), DATA])),
      );
      const saved = { http_proxy: process.env.http_proxy, no_proxy: process.env.no_proxy };
      try {
        process.env.http_proxy = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
        delete process.env.no_proxy;
        const proxied = await fetchTo({ url: `${server.url}/img` });
        assert.equal(proxied.direct, false);
        assert.equal(proxied.result.sha256, SHA256);
        assert.deepEqual(seen, [`${server.url}/img`], 'the proxy got the absolute URL');
        assert.equal(server.requests.length, 0);
        process.env.no_proxy = '127.0.0.1';
        const bypassed = await fetchTo({ url: `${server.url}/img` });
        assert.equal(bypassed.direct, true);
        assert.equal(server.requests.length, 1);
      } finally {
        for (const [name, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
        proxy.closeAllConnections();
        await new Promise((resolve) => proxy.close(resolve));
        await server.close();
      }
    });

    test('https stays on axios (TLS reads are one record each), with its certificate rules', async () => {
      const tls = selfSignedCertificate(dir);
      const server = https.createServer(tls, (_req, res) => {
        res.writeHead(200, { 'Content-Length': DATA.length });
        res.end(DATA);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}/img`;
      try {
        await rejectsUser(downloadToFile({ url, dest: dest(), retries: 0 }), (error) => assert.equal(error.code, 'ETLS'));
        const { result, direct } = await fetchTo({ url, insecure: true });
        assert.equal(direct, false);
        assert.equal(result.sha256, SHA256);
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });
}

test('a consumer that refuses the last bytes read in place fails the body: receive rejects only once it has seen them', async () => {
  const server = await rawServer((socket) => {
    socket.write(Buffer.concat([head(['HTTP/1.1 200 OK', `Content-Length: ${DATA.length}`]), DATA]));
  });
  try {
    const { body } = await DirectBody.get(directTarget(`${server.url}/x`)!, {}, { timeoutMs: 5000 });
    // the socket reads into this memory, as a ranged part's worker has it
    const memory = new ByteRing(new SharedArrayBuffer(8 * 1024 * 1024), 0);
    let taken = 0;
    await assert.rejects(
      body.receive(async (chunks) => {
        const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
        if (taken + bytes === DATA.length) throw new Error('refused the last bytes');
        taken += bytes;
        await memory.push(chunks);
      }, memory),
      /refused the last bytes/,
    );
    assert.ok(taken < DATA.length);
  } finally {
    await server.close();
  }
});
