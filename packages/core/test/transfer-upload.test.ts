import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isUserError, type UserError } from '../src/errors';
import { uploadMultipart } from '../src/transfer/index';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Collects every request body whole (the test files are small) and answers with `answer`. */
async function serve(answer: (res: http.ServerResponse, received: Received) => void) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry = { headers: req.headers, body: Buffer.concat(chunks) };
      received.push(entry);
      answer(res, entry);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Part {
  disposition: string;
  contentType?: string;
  content: Buffer;
}

/** A strict multipart/form-data parser: every part framed by CRLF, closing delimiter last. */
function parseMultipart(body: Buffer, contentType: string): Part[] {
  const boundary = /^multipart\/form-data; boundary=(\S+)$/.exec(contentType)?.[1];
  assert.ok(boundary, `bad content type ${contentType}`);
  const delimiter = Buffer.from(`--${boundary}\r\n`);
  const between = Buffer.from(`\r\n--${boundary}`);
  assert.ok(body.subarray(0, delimiter.length).equals(delimiter), 'body starts with the boundary');
  assert.ok(
    body.subarray(body.length - boundary.length - 8).equals(Buffer.from(`\r\n--${boundary}--\r\n`)),
    'body ends with the closing boundary',
  );
  const parts: Part[] = [];
  let start = delimiter.length;
  for (;;) {
    const end = body.indexOf(between, start);
    const raw = body.subarray(start, end);
    const headerEnd = raw.indexOf('\r\n\r\n');
    const headers = raw.subarray(0, headerEnd).toString('utf8').split('\r\n');
    parts.push({
      disposition: headers.find((h) => h.startsWith('Content-Disposition: '))!.slice('Content-Disposition: '.length),
      contentType: headers.find((h) => h.startsWith('Content-Type: '))?.slice('Content-Type: '.length),
      content: raw.subarray(headerEnd + 4),
    });
    const after = body.subarray(end + between.length, end + between.length + 2).toString();
    if (after === '--') break;
    assert.equal(after, '\r\n');
    start = end + between.length + 2;
  }
  return parts;
}

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sreg-up-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(bytes: Buffer, name = `f-${Math.random().toString(36).slice(2)}.sif`): string {
  const target = path.join(dir, name);
  fs.writeFileSync(target, bytes);
  return target;
}

async function rejectsUser(promise: Promise<unknown>, check: (error: UserError) => void): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isUserError(error), `expected a UserError, got ${String(error)}`);
    assert.ok(!error.line.includes('\n'));
    check(error);
    return true;
  });
}

const SIGNATURE = 'SREGISTRY-HMAC-SHA256 Credential=ZGlub3NhdXI=,SignedHeaders=upload|c|n|t|,Signature=deadbeefcafe';

describe('uploadMultipart', () => {
  test('fields in order then the file, exact Content-Length, no chunking, progress to the total', async () => {
    const server = await serve((res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"message": "Upload Complete"}'));
    const data = randomBytes(2 * 1024 * 1024 + 333);
    try {
      const progress: Array<[number, number]> = [];
      const lines: string[] = [];
      const answer = await uploadMultipart<{ message: string }>({
        url: `${server.url}/upload`,
        headers: { Authorization: SIGNATURE, Cookie: 'csrftoken=nope' },
        fields: [
          { name: 'SREGISTRY_EVENT', value: SIGNATURE },
          { name: 'name', value: 'tacos' },
          { name: 'collection', value: '7' },
          { name: 'tag', value: 'latest' },
        ],
        file: { field: 'file1', path: file(data), filename: 'tacos:latest.sif', contentType: 'text/plain' },
        onProgress: (sent, total) => progress.push([sent, total]),
        debug: (line) => lines.push(line),
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.data?.message, 'Upload Complete');

      const [request] = server.received;
      assert.equal(request!.headers['transfer-encoding'], undefined, 'no chunked encoding');
      assert.equal(Number(request!.headers['content-length']), request!.body.length, 'Content-Length is exact');
      assert.equal(request!.headers.authorization, SIGNATURE);
      assert.equal(request!.headers.cookie, undefined, 'cookies would make the registry store nothing');

      const parts = parseMultipart(request!.body, request!.headers['content-type']!);
      assert.deepEqual(
        parts.slice(0, 4).map((p) => [p.disposition, p.content.toString()]),
        [
          ['form-data; name="SREGISTRY_EVENT"', SIGNATURE],
          ['form-data; name="name"', 'tacos'],
          ['form-data; name="collection"', '7'],
          ['form-data; name="tag"', 'latest'],
        ],
      );
      assert.equal(parts.length, 5);
      assert.equal(parts[4]!.disposition, 'form-data; name="file1"; filename="tacos:latest.sif"');
      assert.equal(parts[4]!.contentType, 'text/plain');
      assert.ok(parts[4]!.content.equals(data), 'file bytes arrive unchanged');

      const total = request!.body.length;
      assert.deepEqual(progress.at(-1), [total, total]);
      assert.ok(progress.every(([, t]) => t === total));
      for (let i = 1; i < progress.length; i++) assert.ok(progress[i]![0] >= progress[i - 1]![0]);

      const text = lines.join('\n');
      assert.ok(lines.length > 0);
      assert.ok(!text.includes('deadbeefcafe') && !text.includes('ZGlub3NhdXI'), 'the signature never reaches a debug line');
    } finally {
      await server.close();
    }
  });

  test('default content type, an empty file, and quoted names', async () => {
    const server = await serve((res) => res.writeHead(201).end('{"ok":true}'));
    try {
      const answer = await uploadMultipart({
        url: `${server.url}/upload`,
        fields: [{ name: 'we"ird\r\nname', value: 'välue ✓' }],
        file: { field: 'file', path: file(Buffer.alloc(0)), filename: 'a"b.sif' },
      });
      assert.equal(answer.status, 201);
      const [request] = server.received;
      assert.equal(Number(request!.headers['content-length']), request!.body.length);
      const parts = parseMultipart(request!.body, request!.headers['content-type']!);
      assert.equal(parts[0]!.disposition, 'form-data; name="we%22ird%0D%0Aname"');
      assert.equal(parts[0]!.content.toString('utf8'), 'välue ✓');
      assert.equal(parts[1]!.disposition, 'form-data; name="file"; filename="a%22b.sif"');
      assert.equal(parts[1]!.contentType, 'application/octet-stream');
      assert.equal(parts[1]!.content.length, 0);
    } finally {
      await server.close();
    }
  });

  test('an error status is an answer, and the POST is not repeated', async () => {
    const server = await serve((res) => res.writeHead(503, { 'Content-Type': 'text/html' }).end('<h1>down</h1>'));
    try {
      const answer = await uploadMultipart({
        url: `${server.url}/upload`,
        fields: [],
        file: { field: 'f', path: file(randomBytes(1000)), filename: 'x' },
      });
      assert.equal(answer.status, 503);
      assert.equal(answer.isJson, false);
      assert.equal(answer.text, '<h1>down</h1>');
      assert.equal(server.received.length, 1);
    } finally {
      await server.close();
    }
  });

  test('a missing file is a UserError', async () => {
    await rejectsUser(
      uploadMultipart({
        url: 'http://127.0.0.1:9/upload',
        fields: [],
        file: { field: 'f', path: path.join(dir, 'nope.sif'), filename: 'x' },
      }),
      (error) => assert.equal(error.code, 'ENOFILE'),
    );
  });

  test('connection refused is a one-line UserError', async () => {
    const server = await serve(() => undefined);
    await server.close();
    await rejectsUser(
      uploadMultipart({ url: `${server.url}/upload`, fields: [], file: { field: 'f', path: file(randomBytes(10)), filename: 'x' } }),
      (error) => assert.equal(error.message, `cannot reach ${server.url}: connection refused`),
    );
  });

  test('abort cancels the upload', async () => {
    // The server never reads, so the upload stalls once the socket buffers are full.
    const server = http.createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      await rejectsUser(
        uploadMultipart({
          url: `${url}/upload`,
          fields: [],
          file: { field: 'f', path: file(randomBytes(16 * 1024 * 1024)), filename: 'x' },
          signal: controller.signal,
        }),
        (error) => assert.equal(error.code, 'ECANCELLED'),
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  test('a server that takes the body but never answers times out', async () => {
    const server = await serve(() => undefined);
    try {
      await rejectsUser(
        uploadMultipart({
          url: `${server.url}/upload`,
          fields: [],
          file: { field: 'f', path: file(randomBytes(1000)), filename: 'x' },
          answerTimeoutMs: 300,
        }),
        (error) => {
          assert.equal(error.code, 'ETIMEOUT');
          assert.match(error.message, /did not answer within/);
        },
      );
      assert.equal(server.received.length, 1);
    } finally {
      await server.close();
    }
  });

  test('a server that stops reading makes the upload time out', async () => {
    const server = http.createServer((req) => req.pause());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await rejectsUser(
        uploadMultipart({
          url: `${url}/upload`,
          fields: [],
          file: { field: 'f', path: file(randomBytes(32 * 1024 * 1024)), filename: 'x' },
          timeoutMs: 300,
        }),
        (error) => {
          assert.equal(error.code, 'ETIMEOUT');
          assert.match(error.message, /made no progress/);
        },
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
