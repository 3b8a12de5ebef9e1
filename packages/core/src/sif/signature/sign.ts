import type { KeyObject } from 'node:crypto';
import { UserError } from '../../errors';
import { shellWord } from '../../output/shell-word';
import { cancelled } from '../../transfer/retry';
import { withImageFile } from '../file-reader';
import { appendSignatures, type NewSignature } from './append';
import { ObjectHasher } from './digests';
import { dsseKeyId, signEnvelope } from './dsse';
import { groupIds, groupMembers, readLayout } from './layout';
import { metadataJson } from './metadata';
import { clearsign, type PgpPrivateKey } from './openpgp';

/** A key ready to sign with: an unlocked OpenPGP private key, or a PEM private key (DSSE). */
export type SigningKey = { format: 'openpgp'; key: PgpPrivateKey } | { format: 'pem'; key: KeyObject };

export interface SignOptions {
  keys: SigningKey[];
  /** groups to sign (default: every group) */
  groups?: number[];
  /** RSA PEM keys sign with PSS instead of PKCS#1 v1.5 */
  rsaPss?: boolean;
  /** a new file (a temp the caller owns) to write the signed image to, instead of replacing `path` */
  dest?: string;
  /** Ctrl-C: stops before or during the copy, leaving no temp file (ECANCELLED) */
  signal?: AbortSignal;
  /** runs right before the signed copy replaces `path` (not with `dest`); throwing keeps `path` as it was */
  beforeReplace?: () => Promise<void>;
}

export interface SignedObject {
  groupId: number;
  format: 'pgp' | 'dsse';
  /** OpenPGP fingerprints or DSSE keyids */
  keys: string[];
  objects: number[];
}

/** SHA-256, what the reference signer writes for DSSE envelopes (§1.3; OpenPGP ones record the hash they used). */
const HASH_SHA256 = 1;

/**
 * Signs every requested group (one clear-signed object per OpenPGP key, one DSSE envelope holding every PEM
 * key's signature) and writes the image atomically: readers see the unsigned file or the signed one.
 */
export async function signSif(path: string, options: SignOptions): Promise<SignedObject[]> {
  if (options.keys.length === 0) throw new UserError('no signing key given', { fix: 'pass --key FILE', code: 'ENOKEY' });
  const { layout, signatures, report } = await withImageFile(path, undefined, async (file) => {
    const layout = await readLayout(file);
    const hasher = new ObjectHasher(file);
    // a group given twice (--group 1 --group 1) is signed once, not with two identical signatures
    const groups = options.groups ? [...new Set(options.groups)] : groupIds(layout);
    if (groups.length === 0) {
      throw new UserError(`${path} has no object groups to sign`, {
        fix: 'an image built by Apptainer or SingularityCE has one',
        code: 'ENOGROUP',
      });
    }
    const signatures: NewSignature[] = [];
    const report: SignedObject[] = [];
    const pgpKeys = options.keys.filter((k) => k.format === 'openpgp').map((k) => k.key as PgpPrivateKey);
    const pemKeys = options.keys.filter((k) => k.format === 'pem').map((k) => k.key as KeyObject);
    for (const groupId of groups) {
      const members = groupMembers(layout, groupId);
      if (members.length === 0)
        throw new UserError(`object group ${groupId} not found in ${path}`, {
          fix: `list the groups with: sregistry inspect ${shellWord(path)}`,
          code: 'ENOGROUP',
        });
      const json = await metadataJson(layout, hasher, members);
      const objects = members.map((d) => d.id).sort((a, b) => a - b);
      for (const key of pgpKeys) {
        const { armored, hashType } = await clearsign({ text: json, key });
        const data = Buffer.from(armored, 'utf8');
        signatures.push({ data, groupId, hashType, entity: Buffer.from(key.getFingerprint(), 'hex').subarray(0, 20) });
        report.push({ groupId, format: 'pgp', keys: [key.getFingerprint().toUpperCase()], objects });
      }
      if (pemKeys.length > 0) {
        signatures.push({
          data: signEnvelope(Buffer.from(json, 'utf8'), pemKeys, { rsaPss: options.rsaPss }),
          groupId,
          hashType: HASH_SHA256,
          entity: Buffer.alloc(0),
        });
        report.push({ groupId, format: 'dsse', keys: pemKeys.map(dsseKeyId), objects });
      }
    }
    return { layout, signatures, report };
  });
  // hashing a large image takes seconds: a Ctrl-C meanwhile stops here, before any copy is made
  if (options.signal?.aborted) throw cancelled(options.signal, 'sign');
  await appendSignatures(path, options.dest ?? path, layout, signatures, {
    signal: options.signal,
    purpose: 'sign',
    newFile: options.dest !== undefined,
    beforeReplace: options.beforeReplace,
  });
  return report;
}
