// Container files on disk. Everything streams (hashing on the way through) so 1 GiB images keep memory flat.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RegistryFileSource } from './types';

export interface IngestedFile {
  path: string;
  md5: string;
  size: number;
}

const CHUNK = 64 * 1024;

/** Deterministic bytes of a given length, starting with `label` so different seeds get different digests. */
export function generatedBytes(size: number, label = ''): Readable {
  const head = Buffer.from(label, 'utf8').subarray(0, size);
  let sent = 0;
  let pattern: Buffer | undefined;
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      if (sent === 0 && head.length > 0) {
        sent += head.length;
        return void this.push(head);
      }
      pattern ??= Buffer.from(Array.from({ length: CHUNK }, (_, i) => i % 251));
      const n = Math.min(CHUNK, size - sent);
      sent += n;
      this.push(pattern.subarray(0, n));
    },
  });
}

export function sourceStream(source: RegistryFileSource, label?: string): Readable {
  if (typeof source === 'number') return generatedBytes(source, label);
  if (typeof source === 'string') return createReadStream(source);
  return Readable.from([Buffer.from(source.buffer, source.byteOffset, source.byteLength)]);
}

/** Streams `input` into a fresh file under `dir`, computing md5 and size as it goes (what nginx's upload module does). */
export async function ingest(input: Readable, dir: string): Promise<IngestedFile> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${Date.now()}-${randomBytes(6).toString('hex')}`);
  const md5 = createHash('md5');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      md5.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(input, tap, createWriteStream(path));
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  return { path, md5: md5.digest('hex'), size };
}

/**
 * Moves an ingested file to `<dataDir>/<collection>/<name>:<tag>@<md5>.sif`. When that name is taken (the same
 * bytes pushed again before the old row is removed) a suffix is added, like Django's storage does, so removing
 * the old container's file can never remove the new one.
 */
export async function placeFile(
  tmpPath: string,
  dataDir: string,
  collection: string,
  name: string,
  tag: string,
  md5: string,
): Promise<string> {
  const dir = join(dataDir, collection);
  await mkdir(dir, { recursive: true });
  const base = `${name}:${tag}@${md5}`.replace(/[/\\]/g, '-');
  let target = join(dir, `${base}.sif`);
  while (await exists(target)) target = join(dir, `${base}_${randomBytes(4).toString('hex')}.sif`);
  await rename(tmpPath, target);
  return target;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true });
}
