/** Shapes of signature verification results (sif-signatures.md §5). All are plain JSON-friendly data. */
import type { SifLink } from '../types';

/** pgp: clear-signed JSON metadata; dsse: DSSE envelope; legacy: clear-signed `SIFHASH:` (object data only). */
export type SignatureFormat = 'pgp' | 'dsse' | 'legacy' | 'unknown';

/** Why verification failed, one word per kind of failure the user can act on. */
export type VerifyProblem =
  | 'unsigned'
  | 'legacy-only'
  | 'not-covered'
  | 'not-found'
  | 'tampered'
  | 'unknown-key'
  | 'unsupported'
  | 'invalid-image';

/**
 * What the user asked to be covered (as Apptainer's --all / --group-id / --sif-id). `default` is every group,
 * like `all`, except in legacy mode, where it is the primary partition and `all` is every object.
 */
export type VerifySelection = { kind: 'default' } | { kind: 'all' } | { kind: 'group'; groupId: number } | { kind: 'object'; id: number };

export interface SignerReport {
  /** `openpgp` for a key from an OpenPGP key file, `pem` for a PEM public key */
  keyFormat: 'openpgp' | 'pem';
  /** OpenPGP primary-key fingerprint (upper-case hex); null for PEM keys */
  fingerprint: string | null;
  /** OpenPGP key id (16 hex digits) or the DSSE keyid (`SHA256:…`, OpenSSH form) */
  keyId: string;
  /** primary user id of an OpenPGP key, e.g. `Unit Test <unit@test.com>`; null when the key has none */
  identity: string | null;
  /** e.g. `rsa`, `ed25519`, `rsa-pkcs1v15`, `rsa-pss`, `ecdsa-p256` */
  algorithm: string;
  /** where the key came from: a --key file or the keyring */
  source: string;
}

export interface SignatureReport {
  /** the signature object's id */
  id: number;
  format: SignatureFormat;
  link: SifLink | null;
  /** the descriptor's hash type name, e.g. `SHA-256` */
  hashType: string;
  /** the fingerprint recorded in the signature descriptor (OpenPGP only) */
  entity: string | null;
  /** verified: every check passed; failed: a check failed; skipped: not asked for (e.g. legacy without --legacy) */
  status: 'verified' | 'failed' | 'skipped';
  problem?: VerifyProblem;
  /** one line saying what failed or why it was skipped */
  message?: string;
  /** the keys whose signature checked out */
  signers: SignerReport[];
  /** signature creation time (OpenPGP), ISO 8601; null when the format has none */
  time: string | null;
  /** absolute ids of the objects the signature covers */
  objects: number[];
}

export interface VerifyReport {
  path: string;
  selection: VerifySelection;
  legacy: boolean;
  verified: boolean;
  problem?: VerifyProblem;
  /** the first failure, as one line */
  message?: string;
  signatures: SignatureReport[];
}
