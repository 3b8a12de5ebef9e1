import { UserError } from '../errors';
import { Keyring, type KeyringEntry } from '../keys/keyring';
import { tableLines } from '../output/format';
import { printable } from '../output/untrusted';
import { addToMaterial, type KeyMaterial, parseKeys } from '../sif/signature/index';
import { NotRegularFile, readRegularFile } from '../storage/regular-file';
import type { Session } from './session';

export const keyringOf = (session: Session): Keyring => new Keyring(session.paths.keysDir);

/**
 * The bytes of a key file. `given` says where the path came from (`--key`, `key import`), for the fix to name
 * what the user typed; an empty path is a usage error, never looked up.
 */
export async function readKeyFile(file: string, given = '--key'): Promise<Buffer> {
  if (file.trim() === '') {
    throw new UserError(`the key file given to ${given} is empty`, { fix: 'give the path of a key file', code: 'EUSAGE' });
  }
  try {
    return await readRegularFile(file);
  } catch (error) {
    // a FIFO would hang the read; a folder or device is no key either (the image path is refused the same way)
    if (error instanceof NotRegularFile) {
      throw new UserError(error.message, { fix: `give the path of a key file to ${given}`, code: 'ENOTFILE' });
    }
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `key file ${file} does not exist` : `cannot read key file ${file} (${code})`, {
      fix: `check the path given to ${given}`,
      code: 'ENOKEYFILE',
    });
  }
}

/** Verification keys: the --key files, then every key in the local keyring. */
export async function verificationKeys(session: Session, keyFiles: readonly string[]): Promise<KeyMaterial> {
  const material = await keyringOf(session).material();
  const given: KeyMaterial = { pgp: [], pem: [] };
  for (const file of keyFiles) addToMaterial(given, await parseKeys(await readKeyFile(file), file), file);
  // the keys the user named come first, so reports name their file rather than the keyring copy
  return {
    pgp: [...given.pgp, ...material.pgp.filter((k) => !given.pgp.some((g) => g.key.getFingerprint() === k.key.getFingerprint()))],
    pem: [...given.pem, ...material.pem.filter((k) => !given.pem.some((g) => g.keyId === k.keyId))],
  };
}

const row = (k: KeyringEntry) => [k.format, k.id, printable(k.identity ?? '-'), k.algorithm, ...(k.state ? [k.state] : [])];

/** ` (revoked)` after an import line whose key cannot verify today. */
const stateNote = (k: KeyringEntry) => (k.state ? ` (${k.state})` : '');

/** `key import FILE…`: stores the public keys found in each file. */
export async function importKeys(session: Session, files: readonly string[]): Promise<{ added: KeyringEntry[]; existing: KeyringEntry[] }> {
  const keyring = keyringOf(session);
  const result = { added: [] as KeyringEntry[], existing: [] as KeyringEntry[] };
  for (const file of files) {
    const { added, existing } = await keyring.import(await readKeyFile(file, 'key import'), file);
    for (const key of added)
      session.out.result(`[key][new] ${key.format} ${key.id} ${printable(key.identity ?? '')}`.trimEnd() + stateNote(key));
    for (const key of existing) {
      session.out.result(`[key][update] ${key.format} ${key.id} ${printable(key.identity ?? '')}`.trimEnd() + stateNote(key));
    }
    if ([...added, ...existing].some((k) => k.private)) {
      session.out.warn(`${file} holds a private key: only its public key was stored`);
    }
    result.added.push(...added);
    result.existing.push(...existing);
  }
  return result;
}

/** `key list`: the keyring's keys as a table. */
export async function listKeys(session: Session): Promise<{ keys: KeyringEntry[]; dir: string }> {
  const keyring = keyringOf(session);
  const keys = await keyring.list();
  if (keys.length === 0) session.out.info(`No keys in ${keyring.dir}; add one with: sregistry key import FILE`);
  else for (const line of tableLines(keys.map(row))) session.out.result(line);
  return { keys, dir: keyring.dir };
}

/** `key remove ID`: by OpenPGP fingerprint or key id, or DSSE keyid. */
export async function removeKey(session: Session, id: string): Promise<{ removed: KeyringEntry[] }> {
  const removed = await keyringOf(session).remove(id);
  for (const key of removed) session.out.result(`[key][removed] ${key.format} ${key.id}`);
  return { removed };
}
