import crypto, { type KeyObject } from 'node:crypto';
import { UserError } from '../../errors';
import { type DsseKey, dsseKeyId, keyAlgorithm } from './dsse';
import { keyIdentity, openpgp, type PgpPrivateKey, type PgpPublicKey, pgpAlgorithm } from './openpgp';

/** Public keys to verify with, by kind: OpenPGP keys for clear-signed signatures, PEM keys for DSSE. */
export interface KeyMaterial {
  pgp: { key: PgpPublicKey; source: string }[];
  pem: DsseKey[];
}

export const emptyKeyMaterial = (): KeyMaterial => ({ pgp: [], pem: [] });

/** One key as `key list` shows it and the keyring files it. */
export interface KeySummary {
  format: 'openpgp' | 'pem';
  /** OpenPGP fingerprint or DSSE keyid (`SHA256:…`) */
  id: string;
  /** OpenPGP key id; the DSSE keyid again for PEM keys */
  keyId: string;
  identity: string | null;
  algorithm: string;
  private: boolean;
}

export type ParsedKey =
  | { format: 'openpgp'; key: PgpPublicKey | PgpPrivateKey; summary: KeySummary }
  | { format: 'pem'; key: KeyObject; summary: KeySummary };

const badKey = (source: string, why: string) =>
  new UserError(`${source} is not a key file: ${why}`, {
    fix: 'give an OpenPGP key (armored or binary) or a PEM key',
    code: 'EBADKEY',
  });

/** Reads every key in `data`: armored or binary OpenPGP keys (public or private), or one PEM key. */
export async function parseKeys(data: Buffer, source: string): Promise<ParsedKey[]> {
  const text = data.toString('latin1');
  if (text.includes('-----BEGIN PGP')) {
    try {
      const keys = await openpgp().readKeys({ armoredKeys: data.toString('utf8') });
      return Promise.all(keys.map((key) => pgpParsed(key)));
    } catch (error) {
      throw badKey(source, (error as Error).message);
    }
  }
  if (text.includes('-----BEGIN ')) return [pemParsed(data, source)];
  try {
    const keys = await openpgp().readKeys({ binaryKeys: new Uint8Array(data) });
    return Promise.all(keys.map((key) => pgpParsed(key)));
  } catch {
    // not binary OpenPGP either: a DER public key is the last thing it could be
  }
  try {
    const key = crypto.createPublicKey({ key: data, format: 'der', type: 'spki' });
    return [{ format: 'pem', key, summary: pemSummary(key) }];
  } catch {
    throw badKey(source, 'neither OpenPGP nor PEM');
  }
}

async function pgpParsed(key: PgpPublicKey | PgpPrivateKey): Promise<ParsedKey> {
  return {
    format: 'openpgp',
    key,
    summary: {
      format: 'openpgp',
      id: key.getFingerprint().toUpperCase(),
      keyId: key.getKeyID().toHex().toUpperCase(),
      identity: await keyIdentity(key),
      algorithm: pgpAlgorithm(key),
      private: key.isPrivate(),
    },
  };
}

function pemParsed(data: Buffer, source: string): ParsedKey {
  let key: KeyObject;
  const text = data.toString('utf8');
  try {
    key = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) ? crypto.createPrivateKey(text) : crypto.createPublicKey(text);
  } catch (error) {
    if (/ENCRYPTED/.test(text)) {
      throw new UserError(`${source} is an encrypted PEM private key`, {
        fix: 'decrypt it first (openssl pkey -in KEY -out PLAIN.pem) or use an unencrypted key',
        code: 'EBADKEY',
      });
    }
    throw badKey(source, (error as Error).message);
  }
  return { format: 'pem', key, summary: pemSummary(key) };
}

function pemSummary(key: KeyObject): KeySummary {
  let keyId: string;
  try {
    keyId = dsseKeyId(key);
  } catch (error) {
    throw new UserError(`unsupported key: ${(error as Error).message}`, { fix: 'use an Ed25519, RSA or ECDSA key', code: 'EBADKEY' });
  }
  return { format: 'pem', id: keyId, keyId, identity: null, algorithm: keyAlgorithm(key), private: key.type === 'private' };
}

/** Adds the public part of `parsed` to `material`, ignoring keys it already holds. */
export function addToMaterial(material: KeyMaterial, parsed: ParsedKey[], source: string): void {
  for (const entry of parsed) {
    if (entry.format === 'openpgp') {
      if (material.pgp.some((k) => k.key.getFingerprint() === entry.key.getFingerprint())) continue;
      material.pgp.push({ key: entry.key.isPrivate() ? entry.key.toPublic() : (entry.key as PgpPublicKey), source });
    } else {
      if (material.pem.some((k) => k.keyId === entry.summary.keyId)) continue;
      const publicKey = entry.key.type === 'private' ? crypto.createPublicKey(entry.key) : entry.key;
      material.pem.push({ key: publicKey, keyId: entry.summary.keyId, source });
    }
  }
}
