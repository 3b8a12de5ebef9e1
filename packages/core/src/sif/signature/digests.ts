import { createHash } from 'node:crypto';
import { cancelled } from '../../transfer/retry';
import { D, EXTRA_SIZE, H, NAME_SIZE } from '../constants';
import type { ImageFile } from '../file-reader';
import type { SifDescriptor } from '../types';
import { rawDescriptor, relativeId, type SifLayout } from './layout';

/**
 * The three digests of signed metadata version 1 (sif-signatures.md §2), always SHA-256 when signing. Verifying
 * accepts the algorithms Go's digest parser accepts.
 */

/** Go's digest names → node:crypto's, with the hex length each must have. */
const ALGORITHMS: Record<string, { node: string; hexLength: number }> = {
  sha224: { node: 'sha224', hexLength: 56 },
  sha256: { node: 'sha256', hexLength: 64 },
  sha384: { node: 'sha384', hexLength: 96 },
  sha512: { node: 'sha512', hexLength: 128 },
  sha512_224: { node: 'sha512-224', hexLength: 56 },
  sha512_256: { node: 'sha512-256', hexLength: 64 },
};

export interface Digest {
  /** Go's name: sha256, sha384, … */
  algorithm: string;
  hex: string;
}

export const formatDigest = (digest: Digest): string => `${digest.algorithm}:${digest.hex}`;

/** `"<alg>:<hex>"` as the verifier accepts it (§2.5), or null. */
export function parseDigest(text: unknown): Digest | null {
  if (typeof text !== 'string') return null;
  const parts = text.split(':');
  if (parts.length !== 2) return null;
  const [algorithm, hex] = parts as [string, string];
  const known = ALGORITHMS[algorithm];
  if (!known || hex.length !== known.hexLength || !/^[0-9a-f]+$/i.test(hex)) return null;
  return { algorithm, hex: hex.toLowerCase() };
}

export function nodeHashName(algorithm: string): string {
  const known = ALGORITHMS[algorithm];
  if (!known) throw new Error(`unknown digest algorithm ${algorithm}`);
  return known.node;
}

const digestOf = (algorithm: string, data: Buffer): Digest => ({
  algorithm,
  hex: createHash(nodeHashName(algorithm)).update(data).digest('hex'),
});

/** §2.1: LaunchScript, Magic and Version (bytes 0–44), then the UUID (48–63); 61 bytes. */
export function headerDigestInput(headerRaw: Buffer): Buffer {
  return Buffer.concat([headerRaw.subarray(0, H.arch), headerRaw.subarray(H.uuid, H.uuid + 16)]);
}

export const headerDigest = (layout: SifLayout, algorithm = 'sha256'): Digest => digestOf(algorithm, headerDigestInput(layout.headerRaw));

/**
 * §2.2: a 557-byte stream of the descriptor with relativeId in place of the id; GroupID, Offset,
 * SizeWithPadding and ModifiedAt are left out, so the group can be compacted without breaking signatures.
 */
export function descriptorDigestInput(raw: Buffer, relative: number): Buffer {
  const relativeBytes = Buffer.alloc(4);
  relativeBytes.writeUInt32LE(relative >>> 0);
  return Buffer.concat([
    raw.subarray(D.dataType, D.used + 1),
    relativeBytes,
    raw.subarray(D.link, D.link + 4),
    raw.subarray(D.size, D.size + 8),
    raw.subarray(D.createdAt, D.createdAt + 8),
    raw.subarray(D.uid, D.uid + 8),
    raw.subarray(D.gid, D.gid + 8),
    raw.subarray(D.name, D.name + NAME_SIZE),
    raw.subarray(D.extra, D.extra + EXTRA_SIZE),
  ]);
}

export const descriptorDigest = (layout: SifLayout, descriptor: SifDescriptor, algorithm = 'sha256'): Digest =>
  digestOf(algorithm, descriptorDigestInput(rawDescriptor(layout, descriptor), relativeId(layout, descriptor)));

/** Big reads keep the hashing, not the system calls, the cost of verifying a large image. */
const CHUNK = 4 * 1024 * 1024;

/**
 * Hashes byte ranges of one image, each at most once per algorithm: several signatures over one group (a PGP and
 * a DSSE one, say) share the work, which for a partition of gigabytes is all of the work.
 */
export class ObjectHasher {
  private readonly cache = new Map<string, Promise<string>>();

  constructor(
    private readonly file: ImageFile,
    /** Ctrl-C: a large object takes seconds to hash; the hashing stops at its next read (ECANCELLED) */
    private readonly signal?: AbortSignal,
  ) {}

  /** Hex digest of the concatenation of `ranges` (legacy group signatures hash several objects as one). */
  digest(nodeAlgorithm: string, ranges: { offset: number; size: number }[]): Promise<string> {
    const key = `${nodeAlgorithm}:${ranges.map((r) => `${r.offset}+${r.size}`).join(',')}`;
    let result = this.cache.get(key);
    if (!result) {
      result = this.hashRanges(nodeAlgorithm, ranges);
      this.cache.set(key, result);
    }
    return result;
  }

  objectDigest(descriptor: SifDescriptor, algorithm = 'sha256'): Promise<Digest> {
    return this.digest(nodeHashName(algorithm), [descriptor]).then((hex) => ({ algorithm, hex }));
  }

  private async hashRanges(nodeAlgorithm: string, ranges: { offset: number; size: number }[]): Promise<string> {
    const hash = createHash(nodeAlgorithm);
    // two buffers: the next read runs in the thread pool while this one is hashed
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    for (const range of ranges) {
      let position = range.offset;
      const end = range.offset + range.size;
      let turn = 0;
      let pending = position < end ? this.file.readInto(buffers[turn]!, position, Math.min(CHUNK, end - position)) : null;
      while (pending) {
        const chunk = await pending;
        if (this.signal?.aborted) throw cancelled(this.signal, 'verify');
        position += chunk.length;
        turn ^= 1;
        pending = position < end && chunk.length > 0 ? this.file.readInto(buffers[turn]!, position, Math.min(CHUNK, end - position)) : null;
        hash.update(chunk);
        if (chunk.length === 0) break;
      }
    }
    return hash.digest('hex');
  }
}
