// MD5 and SHA-256 of a file in one streaming pass (memory stays flat for multi-GB images). The server stores
// the MD5 as the container's version right after a push, and `sha256.<hex>` once its worker has run.
import { createHash } from 'node:crypto';
import fs from 'node:fs';

export interface FileDigests {
  md5: string;
  sha256: string;
  size: number;
}

export async function fileDigests(file: string, signal?: AbortSignal): Promise<FileDigests> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  let size = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024, signal })) {
    md5.update(chunk as Buffer);
    sha256.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex'), size };
}

/** Whether the server's `version` (an md5, or `sha256.<hex>`) names these bytes; undefined when it says neither. */
export function versionMatches(version: unknown, digests: FileDigests): boolean | undefined {
  if (typeof version !== 'string') return undefined;
  const v = version.trim().toLowerCase();
  if (/^[0-9a-f]{32}$/.test(v)) return v === digests.md5;
  const sha = /^sha256\.([0-9a-f]{64})$/.exec(v);
  if (sha) return sha[1] === digests.sha256;
  return undefined;
}
