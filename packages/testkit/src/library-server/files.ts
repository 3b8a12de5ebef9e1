// Image bytes on disk. Everything streams (hashing on the way through) so a 512 MiB image keeps memory flat.
import { createHash, type Hash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { generatedBytes } from '../registry-server/files';
import type { LibraryFileSource } from './types';

const MiB = 1024 * 1024;

export interface Received {
  path: string;
  size: number;
  sha256: string;
}

/**
 * Streams `input` into a fresh file under `dir`, computing sha256 and size; removes the file on failure. No md5:
 * ETags come from the sha256 (clients treat them as opaque), which keeps the server's CPU out of a bench's way.
 */
export async function receive(input: Readable, dir: string, bytesPerSecond?: number): Promise<Received> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${Date.now()}-${randomBytes(6).toString('hex')}`);
  const sha = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sha.update(chunk);
      size += chunk.length;
      paced(bytesPerSecond, chunk, done);
    },
  });
  try {
    await pipeline(input, tap, createWriteStream(path, { highWaterMark: MiB }));
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  return { path, size, sha256: sha.digest('hex') };
}

/** Where a seed's bytes live: a path is used in place; bytes and sizes are written under `dir`. */
export async function seedFile(
  source: LibraryFileSource,
  dir: string,
  label: string,
): Promise<{ path: string; size: number; sha256: string }> {
  if (typeof source === 'string') {
    const size = (await stat(source)).size;
    const sha = createHash('sha256');
    await pipeline(createReadStream(source, { highWaterMark: MiB }), sha);
    return { path: source, size, sha256: sha.digest('hex') };
  }
  const input =
    typeof source === 'number'
      ? generatedBytes(source, label)
      : Readable.from([Buffer.from(source.buffer, source.byteOffset, source.byteLength)]);
  return receive(input, dir);
}

export class TooLong extends Error {}

/**
 * Streams `input` into the existing file `path` from byte `start` (a multipart part into its range), computing
 * the sha256 and feeding `also` (the running whole-file hash) on the way. More than `limit` bytes is an error
 * before the next part's range is touched. `state` is the part's hash before it was finished: for the first part,
 * the running whole-file hash itself (one hash over its bytes instead of two).
 */
export async function receiveAt(
  input: Readable,
  path: string,
  start: number,
  limit: number,
  also?: Hash,
  bytesPerSecond?: number,
): Promise<{ size: number; sha256: string; state: Hash }> {
  const sha = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > limit) return done(new TooLong(`more than ${limit} bytes`));
      sha.update(chunk);
      also?.update(chunk);
      paced(bytesPerSecond, chunk, done);
    },
  });
  await pipeline(input, tap, createWriteStream(path, { flags: 'r+', start, highWaterMark: MiB }));
  const state = sha.copy();
  return { size, sha256: sha.digest('hex'), state };
}

/** A strong ETag for stored bytes, S3-shaped (32 hex; `-N` for an object made of N parts). */
export function etagOf(sha256: string, parts?: number): string {
  return `"${sha256.slice(0, 32)}${parts === undefined ? '' : `-${parts}`}"`;
}

/** Whether the server wrote `path` (under its data folder): only those files are ever removed, never a seed's. */
export function ownedBy(dataDir: string, path: string | undefined): path is string {
  return path?.startsWith(dataDir + sep) === true;
}

/** Passes a chunk on, after the time it takes at `bytesPerSecond` when a slow link is asked for. */
function paced(bytesPerSecond: number | undefined, chunk: Buffer, done: (error: null, chunk: Buffer) => void): void {
  if (bytesPerSecond) setTimeout(() => done(null, chunk), (chunk.length / bytesPerSecond) * 1000);
  else done(null, chunk);
}
