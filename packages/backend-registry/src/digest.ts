// Versions as the server writes them: the md5 right after a push and `sha256.<hex>` once its worker has run
// (registry-api.md §3). The catalogue records a pulled file's bare sha256 hex, so users may also write that form;
// every comparison of versions here accepts all three. File digests come from the host core's `fileDigests`.
import type { FileDigests } from '@sregistry/core';

export interface VersionDigest {
  kind: 'md5' | 'sha256';
  hex: string;
}

/** The digest a version names: `<32 hex>` md5, `sha256.<64 hex>` or a bare `<64 hex>` sha256; else undefined. */
export function versionDigest(version: unknown): VersionDigest | undefined {
  if (typeof version !== 'string') return undefined;
  const v = version.trim().toLowerCase();
  if (/^[0-9a-f]{32}$/.test(v)) return { kind: 'md5', hex: v };
  const sha = /^(?:sha256[.:])?([0-9a-f]{64})$/.exec(v);
  return sha ? { kind: 'sha256', hex: sha[1]! } : undefined;
}

/** Whether two versions name the same bytes; undefined when that cannot be told (an md5 and a sha256). */
export function sameVersion(a: string, b: string): boolean | undefined {
  const da = versionDigest(a);
  const db = versionDigest(b);
  if (!da || !db) return a.trim().toLowerCase() === b.trim().toLowerCase();
  return da.kind === db.kind ? da.hex === db.hex : undefined;
}

/** The form the server stores: the md5 as is, a sha256 as `sha256.<hex>`; other strings unchanged. */
export function serverVersion(version: string): string {
  const d = versionDigest(version);
  if (!d) return version;
  return d.kind === 'md5' ? d.hex : `sha256.${d.hex}`;
}

/** Whether the server's `version` names these bytes; undefined when it says neither. */
export function versionMatches(version: unknown, digests: FileDigests): boolean | undefined {
  const d = versionDigest(version);
  if (!d) return undefined;
  return d.hex === (d.kind === 'md5' ? digests.md5 : digests.sha256);
}
