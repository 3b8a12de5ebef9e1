// The server stores the MD5 as the container's version right after a push, and `sha256.<hex>` once its worker
// has run; the file's digests come from the host core's `fileDigests` (one streaming pass, md5 + sha256).
import type { FileDigests } from '@sregistry/core';

/** Whether the server's `version` (an md5, or `sha256.<hex>`) names these bytes; undefined when it says neither. */
export function versionMatches(version: unknown, digests: FileDigests): boolean | undefined {
  if (typeof version !== 'string') return undefined;
  const v = version.trim().toLowerCase();
  if (/^[0-9a-f]{32}$/.test(v)) return v === digests.md5;
  const sha = /^sha256\.([0-9a-f]{64})$/.exec(v);
  if (sha) return sha[1] === digests.sha256;
  return undefined;
}
