import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { fileDigestsOnThreads, preferFileHashThreads } from '../transfer/file-hash-threads';
import { InlineHasher } from '../transfer/hasher';
import type { HashName } from '../transfer/types';

export interface FileDigests {
  sha256: string;
  md5?: string;
  size: number;
}

/**
 * Digests of a file in one streaming pass (memory does not grow with the file). 1 MiB reads: with the default
 * 64 KiB the hash of a 1 GiB image waited on 16,384 reads and took ~3x longer (bench/run.sh local). Two or more
 * digests of a big file run on one thread each (see file-hash-threads.ts): a push hashes while it uploads, and
 * inline hashing kept its main thread busy for md5 + sha256 one after the other.
 */
export async function fileDigests(file: string, names: HashName[] = ['sha256'], signal?: AbortSignal): Promise<FileDigests> {
  const wanted: HashName[] = names.includes('sha256') ? Array.from(new Set(names)) : ['sha256', ...new Set(names)];
  const stat = await fs.stat(file);
  if (stat.isFile() && preferFileHashThreads(stat.size, wanted)) {
    const { digests, size } = await fileDigestsOnThreads(file, wanted, signal);
    return { ...digests, sha256: digests.sha256!, size };
  }
  const hasher = new InlineHasher(wanted);
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024, signal })) {
    hasher.update([chunk as Buffer]);
    size += (chunk as Buffer).length;
  }
  return { ...(await hasher.digest()), size };
}

/** SHA-256 hex of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  return (await fileDigests(file)).sha256;
}
