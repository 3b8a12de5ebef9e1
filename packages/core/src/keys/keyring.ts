import { createHash, createPublicKey } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors';
import { writeFileAtomic } from '../settings/atomic-write';
import { addToMaterial, emptyKeyMaterial, type KeyMaterial, type KeySummary, type ParsedKey, parseKeys } from '../sif/signature/index';
import { readRegularFile } from '../storage/regular-file';

export interface KeyringEntry extends KeySummary {
  file: string;
  /** why verification refuses this key today (OpenPGP keys only); absent when the key can verify */
  state?: 'revoked' | 'expired' | 'unusable';
}

/**
 * The local keyring: one public key per file in a folder (`<fingerprint>.asc` for OpenPGP keys, `pem-<hash>.pem`
 * for PEM keys), so listing, adding and removing are plain file operations and a key can be dropped in by hand.
 * Only public parts are stored: importing a private key keeps its public key.
 */
export class Keyring {
  constructor(readonly dir: string) {}

  async list(): Promise<KeyringEntry[]> {
    const entries: KeyringEntry[] = [];
    for (const name of await this.files()) {
      const file = path.join(this.dir, name);
      try {
        for (const parsed of await parseKeys(await readRegularFile(file), file)) {
          entries.push(withState({ ...parsed.summary, private: false, file }, await stateOf(parsed)));
        }
      } catch {
        // a file that is not a key (or not a file: a FIFO would hang the read) is left alone, not offered for verification
      }
    }
    return entries;
  }

  /** Keys for verification: every key in the folder. */
  async material(): Promise<KeyMaterial> {
    const material = emptyKeyMaterial();
    for (const name of await this.files()) {
      const file = path.join(this.dir, name);
      try {
        addToMaterial(material, await parseKeys(await readRegularFile(file), file), `keyring ${name}`);
      } catch {
        // as in list(): skipped
      }
    }
    return material;
  }

  /** Stores the public part of every key in `data`; answers which were new and which were already there. */
  async import(data: Buffer, source: string): Promise<{ added: KeyringEntry[]; existing: KeyringEntry[] }> {
    const parsed = await parseKeys(data, source);
    const added: KeyringEntry[] = [];
    const existing: KeyringEntry[] = [];
    for (const key of parsed) {
      const file = path.join(this.dir, fileName(key));
      const stored = await storedCopy(file, key);
      // An OpenPGP key imported again is merged into the stored copy, as gpg does: an older export (one without
      // the revocation the keyring already has) must never bring a revoked key back to life.
      const merged = stored ? await mergedInto(stored, key) : key;
      await writeFileAtomic(file, publicBytes(merged), 0o644);
      // `private` says the imported file held a private key (stored: its public key)
      (stored ? existing : added).push(withState({ ...key.summary, file }, await stateOf(merged)));
    }
    return { added, existing };
  }

  /** Removes the keys whose fingerprint, key id or DSSE keyid is `id` (any case). */
  async remove(id: string): Promise<KeyringEntry[]> {
    const wanted = id.trim().toUpperCase().replace(/\s+/g, '');
    const matches = (await this.list()).filter(
      (k) =>
        k.id.toUpperCase() === wanted ||
        k.keyId.toUpperCase() === wanted ||
        (k.format === 'openpgp' && wanted.length >= 16 && k.id.endsWith(wanted)),
    );
    if (matches.length === 0) {
      throw new UserError(`no key ${id} in the keyring`, { fix: 'list the keys with: sregistry key list', code: 'ENOKEY' });
    }
    for (const key of matches) await fs.rm(key.file, { force: true });
    return matches;
  }

  private async files(): Promise<string[]> {
    try {
      return (await fs.readdir(this.dir)).filter((n) => !n.startsWith('.') && /\.(asc|pem)$/.test(n)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}

/** The key already kept in `file` for `key` (same format and fingerprint), or undefined when there is none. */
async function storedCopy(file: string, key: ParsedKey): Promise<ParsedKey | undefined> {
  let data: Buffer;
  try {
    data = await readRegularFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return (await parseKeys(data, file)).find((k) => k.format === key.format && k.summary.id === key.summary.id);
  } catch {
    return undefined; // a damaged file under the key's name is replaced by the key being imported
  }
}

/** The union of both copies' signatures, revocations and user ids (OpenPGP); a PEM key has nothing to merge. */
async function mergedInto(stored: ParsedKey, key: ParsedKey): Promise<ParsedKey> {
  if (stored.format !== 'openpgp' || key.format !== 'openpgp') return key;
  const source = key.key.isPrivate() ? key.key.toPublic() : key.key;
  const target = stored.key.isPrivate() ? stored.key.toPublic() : stored.key;
  return { ...stored, key: await target.update(source) };
}

/** Why an OpenPGP key cannot verify today, in the words `key list` shows. */
async function stateOf(key: ParsedKey): Promise<KeyringEntry['state']> {
  if (key.format !== 'openpgp') return undefined;
  try {
    await key.key.verifyPrimaryKey();
    return undefined;
  } catch (error) {
    const message = (error as Error).message;
    if (/revoked/i.test(message)) return 'revoked';
    if (/expired/i.test(message)) return 'expired';
    return 'unusable';
  }
}

const withState = (entry: KeyringEntry, state: KeyringEntry['state']): KeyringEntry => (state ? { ...entry, state } : entry);

function fileName(key: ParsedKey): string {
  if (key.format === 'openpgp') return `${key.summary.id}.asc`;
  return `pem-${createHash('sha256').update(key.summary.keyId).digest('hex').slice(0, 32)}.pem`;
}

function publicBytes(key: ParsedKey): string {
  if (key.format === 'openpgp') return key.key.isPrivate() ? key.key.toPublic().armor() : key.key.armor();
  const publicKey = key.key.type === 'private' ? createPublicKey(key.key) : key.key;
  return publicKey.export({ format: 'pem', type: 'spki' }).toString();
}
