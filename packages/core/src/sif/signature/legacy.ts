/**
 * Legacy signatures (sif-signatures.md §4): a clear-signed `SIFHASH:` line and the hex hash of raw object data,
 * with the descriptor's hash type. Header and descriptors are not protected, which is why they are accepted only
 * when asked for.
 */

const LEGACY_HASHES: Record<number, { node: string; hexLength: number }> = {
  1: { node: 'sha256', hexLength: 64 },
  2: { node: 'sha384', hexLength: 96 },
  3: { node: 'sha512', hexLength: 128 },
};

export type LegacyHash = { node: string; hex: string } | { error: string };

/** The expected hash from a verified plaintext (`SIFHASH:\n<hex>`, final newline already dropped). */
export function parseSifHash(plaintext: string, hashType: number): LegacyHash {
  const algorithm = LEGACY_HASHES[hashType];
  if (!algorithm) return { error: 'hash algorithm unsupported for a legacy signature' };
  if (!plaintext.startsWith('SIFHASH:\n')) return { error: 'the signed text is not a SIFHASH line' };
  const hex = plaintext.slice('SIFHASH:\n'.length).replace(/\n$/, '').toLowerCase();
  if (hex.length !== algorithm.hexLength || !/^[0-9a-f]+$/.test(hex)) return { error: 'the signed hash has the wrong length' };
  return { node: algorithm.node, hex };
}
