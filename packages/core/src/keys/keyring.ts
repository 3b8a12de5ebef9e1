import { createHash, createPublicKey } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors';
import { writeFileAtomic } from '../settings/atomic-write';
import { addToMaterial, emptyKeyMaterial, type KeyMaterial, type KeySummary, type ParsedKey, parseKeys } from '../sif/signature/index';
import { readRegularFile } from '../storage/regular-file';

export interface KeyringEntry extends KeySummary {
  file: string;
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
        for (const parsed of await parseKeys(await readRegularFile(file), file)) entries.push({ ...parsed.summary, private: false, file });
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
      const entry = { ...key.summary, file }; // `private` says the file held a private key (stored: its public key)
      const had = await fs.stat(file).then(
        () => true,
        () => false,
      );
      // an OpenPGP key imported again may carry new user ids or a revocation: the newer file replaces the old
      await writeFileAtomic(file, publicBytes(key), 0o644);
      (had ? existing : added).push(entry);
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

function fileName(key: ParsedKey): string {
  if (key.format === 'openpgp') return `${key.summary.id}.asc`;
  return `pem-${createHash('sha256').update(key.summary.keyId).digest('hex').slice(0, 32)}.pem`;
}

function publicBytes(key: ParsedKey): string {
  if (key.format === 'openpgp') return key.key.isPrivate() ? key.key.toPublic().armor() : key.key.armor();
  const publicKey = key.key.type === 'private' ? createPublicKey(key.key) : key.key;
  return publicKey.export({ format: 'pem', type: 'spki' }).toString();
}
