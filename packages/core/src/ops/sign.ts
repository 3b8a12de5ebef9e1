import type { KeyObject } from 'node:crypto';
import fs from 'node:fs';
import type { Catalog } from '../catalog/catalog';
import { sha256File } from '../catalog/hash';
import type { ImageRecord } from '../contracts/records';
import { UserError } from '../errors';
import { printable } from '../output/untrusted';
import { withFileLock } from '../settings/file-lock';
import { openpgp, type PgpPrivateKey, parseKeys, type SignedObject, type SigningKey, signingKeyId, signSif } from '../sif/signature/index';
import { discardTemp, noteTemp, tempBeside } from '../storage/temp-files';
import { holdPoint } from '../testing-hooks';
import { cancelled } from '../transfer/retry';
import { withVersion } from '../uri/parse';
import { nestedName } from './find-record';
import { imageTarget, withSifFix } from './image-target';
import { readKeyFile } from './keys';
import { readPassphrase } from './passphrase';
import type { Session } from './session';

export interface SignImageOptions {
  /** an image file or a catalogued image name */
  target: string;
  keyFiles: readonly string[];
  /** groups to sign (default: every group) */
  groups?: number[];
  /** RSA PEM keys sign with PSS rather than PKCS#1 v1.5 */
  rsaPss?: boolean;
  /** the command's Ctrl-C (ops/interrupt.ts): stops at the passphrase prompt or mid-copy, leaving no temp file */
  signal?: AbortSignal;
}

export interface SignImageResult {
  path: string;
  signatures: SignedObject[];
  /** for a catalogued image: its uri and version after signing */
  uri?: string;
  version?: string;
}

/**
 * The private keys in the --key files, OpenPGP ones unlocked: a passphrase is asked once per locked key, in the
 * order the keys are given (one line of stdin each). A key given twice signs once and is asked for once.
 */
async function signingKeys(session: Session, files: readonly string[], signal?: AbortSignal): Promise<SigningKey[]> {
  const keys: SigningKey[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    for (const parsed of await parseKeys(await readKeyFile(file), file)) {
      if (!parsed.summary.private) {
        throw new UserError(`${file} holds a public key (${parsed.summary.id})`, {
          fix: 'signing needs the private key: pass its file with --key',
          code: 'ENOPRIVATE',
        });
      }
      if (seen.has(parsed.summary.id)) continue;
      seen.add(parsed.summary.id);
      if (parsed.format === 'pem') keys.push({ format: 'pem', key: parsed.key as KeyObject });
      else keys.push({ format: 'openpgp', key: await unlocked(session, parsed.key as PgpPrivateKey, file, signal) });
    }
  }
  return keys;
}

async function unlocked(session: Session, key: PgpPrivateKey, file: string, signal?: AbortSignal): Promise<PgpPrivateKey> {
  await canSign(key, file);
  if (key.isDecrypted()) return key;
  const passphrase = await readPassphrase(file, { signal, debug: (message) => session.out.debug(message) });
  try {
    return await openpgp().decryptKey({ privateKey: key, passphrase });
  } catch {
    throw new UserError(`the passphrase for ${file} is wrong`, { fix: 'type it again, or give it on stdin', code: 'EPASSPHRASE' });
  }
}

/**
 * An OpenPGP key that cannot sign today (expired, revoked, no key with the signing flag) is refused in one line
 * before its passphrase is asked: openpgp.js would only say so mid-signing, as an unexpected failure.
 */
async function canSign(key: PgpPrivateKey, file: string): Promise<void> {
  try {
    await signingKeyId(key);
    return;
  } catch (error) {
    const fingerprint = key.getFingerprint().toUpperCase();
    const what = `the OpenPGP key in ${file} (${fingerprint})`;
    if (await key.isRevoked().catch(() => false)) {
      throw new UserError(`${what} is revoked`, { fix: 'sign with another key', code: 'EBADKEY' });
    }
    const expires = await key.getExpirationTime().catch(() => null);
    if (expires instanceof Date && expires.getTime() <= Date.now()) {
      throw new UserError(`${what} expired on ${expires.toISOString().slice(0, 10)}`, {
        fix: `extend it (gpg --quick-set-expire ${fingerprint} 1y, then export it again), or sign with another key`,
        code: 'EBADKEY',
      });
    }
    throw new UserError(`${what} has no key that may sign today (${printable((error as Error).message)})`, {
      fix: `add a signing subkey (gpg --quick-add-key ${fingerprint} ed25519 sign), or sign with another key`,
      code: 'EBADKEY',
    });
  }
}

/**
 * `sign <file-or-uri> --key FILE…`: appends a signature object per group (OpenPGP keys) or one DSSE envelope per
 * group (PEM keys) and replaces the file atomically. A catalogued image keeps its record consistent: a version
 * that was the file's SHA-256 becomes the new file's SHA-256 (and the file moves to that version's path).
 */
export async function signImage(session: Session, options: SignImageOptions): Promise<SignImageResult> {
  const first = await imageTarget(session, options.target, 'sign');
  // passphrases are asked before the lock is taken: nobody waits on a prompt
  const keys = await signingKeys(session, options.keyFiles, options.signal);
  return lockedSign(session, options, keys, first.file, 0);
}

/**
 * Two signs of one file at once each copied the unsigned file and renamed their copy over it: the second rename
 * dropped the first signature, and both said they had signed. One at a time, under the file's lock (a
 * `<file>.lock` folder beside it); the second waits for the first (a few seconds at most, then one line says who
 * holds it) and reads the target again, as the first left it: a catalogued image may have moved to a new path.
 */
async function lockedSign(
  session: Session,
  options: SignImageOptions,
  keys: SigningKey[],
  locked: string,
  moves: number,
): Promise<SignImageResult> {
  const shown = printable(options.target);
  const next = await withFileLock(
    locked,
    async (lock) => {
      const { file, record } = await imageTarget(session, options.target, 'sign');
      if (file !== locked) return file;
      // stopped (kill -STOP) past the lock's stale time, another sign may have taken the lock over and signed: this
      // one then replaces nothing (its copy would drop that signature) and ends in one EFILECHANGED line
      const held: Signing = {
        ...options,
        signal: options.signal ? AbortSignal.any([options.signal, lock.signal]) : lock.signal,
        beforeReplace: async () => {
          await holdPoint('sign-before-replace-held');
          await lock.check();
        },
      };
      return withSifFix(record, () => signTarget(session, held, keys, file, record));
    },
    printable(locked),
    'EFILECHANGED',
  );
  if (typeof next !== 'string') return next;
  if (moves >= 3) {
    throw new UserError(`${shown} keeps moving while it is signed by other commands`, {
      fix: 'run the command again',
      code: 'EFILECHANGED',
    });
  }
  return lockedSign(session, options, keys, next, moves + 1);
}

/** The options under the image's lock: `beforeReplace` refuses to replace it once the lock is another's. */
type Signing = SignImageOptions & { beforeReplace: () => Promise<void> };

async function signTarget(
  session: Session,
  options: Signing,
  keys: SigningKey[],
  file: string,
  record: ImageRecord | undefined,
): Promise<SignImageResult> {
  if (!record) {
    const signatures = await signSif(file, {
      keys,
      groups: options.groups,
      rsaPss: options.rsaPss,
      signal: options.signal,
      beforeReplace: options.beforeReplace,
    });
    report(session, signatures, file);
    return { path: file, signatures };
  }
  return signCatalogued(session, record, file, keys, options);
}

async function signCatalogued(
  session: Session,
  record: ImageRecord,
  file: string,
  keys: SigningKey[],
  options: Signing,
): Promise<SignImageResult> {
  const catalog = await session.catalog('sign');
  await holdPoint('sign-before-turn-held');
  // the record's turn, as mv, rename, rm and rmi take it: none of them changes it while it is signed, and sign
  // gives way to one that runs (catalog.ts, signing())
  return catalog.signing(record, file, (unchanged) => signUnderTurn(session, catalog, record, file, keys, options, unchanged));
}

async function signUnderTurn(
  session: Session,
  catalog: Catalog,
  record: ImageRecord,
  file: string,
  keys: SigningKey[],
  options: Signing,
  unchanged: () => Promise<void>,
): Promise<SignImageResult> {
  const contentVersion = /^[0-9a-f]{64}$/.test(record.version ?? '') && (await sha256File(file)) === record.version;
  const temp = tempBeside(file);
  // noted in storage's .tmp, where the next command's sweep finds it if this process is killed
  const ledger = catalog.storage.tempDir;
  await noteTemp(ledger, temp);
  try {
    const signatures = await signSif(file, { keys, groups: options.groups, rsaPss: options.rsaPss, dest: temp, signal: options.signal });
    const sha256 = await sha256File(temp);
    await holdPoint('sign-signed-held');
    // the last moment at which nothing has changed: from here the record and file are replaced together
    if (options.signal?.aborted) throw cancelled(options.signal, 'sign');
    // the row must still be the one read: one an rm dropped is not brought back as the signed image
    await unchanged();
    await options.beforeReplace();
    const version = contentVersion ? sha256 : (record.version ?? sha256);
    const parsed = session.parseLocal(`${record.collection}/${record.name}:${record.tag}`);
    // a two-level collection (library://'s <entity>/<collection>) parses as registry/collection: fold it back
    const name = withVersion(parsed.collection === record.collection ? parsed : nestedName(parsed), version);
    const added = await catalog.add({
      file: temp,
      name,
      client: record.client,
      version,
      sha256,
      url: record.url ?? undefined,
      metrics: keptMetrics(record.metrics, fs.statSync(temp).size),
      dest: contentVersion ? undefined : file,
    });
    // the unsigned file under its old version is replaced by the signed one under the new
    if (added.record.id !== record.id) await catalog.remove(record, { deleteFile: added.path !== file });
    report(session, signatures, added.path);
    return { path: added.path, signatures, uri: added.record.uri ?? name.uri, version };
  } finally {
    await discardTemp(ledger, temp);
  }
}

/** The record's own metadata (a server manifest, the format), without the name fields `add` writes anew. */
function keptMetrics(metrics: Record<string, unknown>, size: number): Record<string, unknown> {
  const { collection, image, original, registry, storage, tag, type, uri, url, version, ...kept } = metrics;
  void [collection, image, original, registry, storage, tag, type, uri, url, version];
  return 'size' in kept ? { ...kept, size } : kept;
}

function report(session: Session, signatures: SignedObject[], file: string): void {
  for (const s of signatures) {
    session.out.result(
      `Signed object group ${s.groupId} (objects ${s.objects.join(', ')}) with ${s.format === 'pgp' ? 'OpenPGP key' : 'DSSE key(s)'} ${s.keys.join(', ')}`,
    );
  }
  session.out.result(`Signature(s) added to ${printable(file)}`);
}
