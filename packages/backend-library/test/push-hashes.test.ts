// The push's one pass over the file: the sha256 of a byte range, and of every whole-MiB prefix on the way (part 1
// of a multipart upload takes its sha256 from there), checked against node:crypto over the same bytes.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as core from '../../core/src/index';
import type { LibraryClient } from '../src/client';
import { pushImage, rangeSha256 } from '../src/push';
import { parseReference } from '../src/reference';

const MIB = 1024 * 1024;
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('push hashes', () => {
  let dir: string;
  let file: string;
  let data: Buffer;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-push-hashes-'));
    file = path.join(dir, 'image.sif');
    data = randomBytes(3 * MIB + 4321);
    fs.writeFileSync(file, data);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the whole file with its whole-MiB prefixes', async () => {
    const got = await rangeSha256(file, 0, data.length, undefined, MIB);
    assert.equal(got.sha256, sha(data));
    assert.deepEqual([...(got.prefixes?.keys() ?? [])], [MIB, 2 * MIB, 3 * MIB]);
    for (const [at, hex] of got.prefixes ?? []) assert.equal(hex, sha(data.subarray(0, at)), `prefix of ${at} bytes`);
  });

  test('a prefix step that does not divide the reads', async () => {
    const step = 100_003;
    const got = await rangeSha256(file, 0, data.length, undefined, step);
    assert.equal(got.prefixes?.size, Math.floor(data.length / step));
    assert.equal(got.prefixes?.get(31 * step), sha(data.subarray(0, 31 * step)));
    assert.equal(got.sha256, sha(data));
  });

  test('a range inside the file, without prefixes', async () => {
    const got = await rangeSha256(file, MIB + 5, 3 * MIB + 17);
    assert.equal(got.sha256, sha(data.subarray(MIB + 5, 3 * MIB + 17)));
    assert.equal(got.prefixes, undefined);
    assert.equal((await rangeSha256(file, 7, 7)).sha256, sha(Buffer.alloc(0)));
  });

  test('a file shorter than the range, and a cancelled pass, fail', async () => {
    await assert.rejects(rangeSha256(file, 0, data.length + 1), (error: NodeJS.ErrnoException) => error.code === 'EFILECHANGED');
    const stop = new AbortController();
    stop.abort();
    await assert.rejects(rangeSha256(file, 0, data.length, stop.signal));
  });

  test('a push of a file that got shorter than its size is one line naming the change, before any request', async () => {
    const host = core.backendHost();
    let requests = 0;
    const client = {
      hasToken: true,
      target: { url: 'http://127.0.0.1:9' },
      call: async () => {
        requests++;
        throw new Error('no request expected');
      },
    } as unknown as LibraryClient;
    const ref = parseReference(host, 'library://alice/tools/image:v1');
    const request = { file, size: data.length + MIB, signal: undefined } as unknown as Parameters<typeof pushImage>[3];
    await assert.rejects(
      pushImage(host, client, ref, request, { arch: 'amd64', multipartThreshold: MIB }),
      (error: core.UserError) => error.code === 'EFILECHANGED' && /changed while it was read/.test(error.message),
    );
    assert.equal(requests, 0);
  });
});
