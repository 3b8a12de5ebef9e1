import { type SignatureReport, verifySif } from '../sif/signature/index';
import type { ImageInspection } from '../sif/types';
import { keyringOf } from './keys';
import type { Session } from './session';

export interface SignatureStatus {
  /** true when every signature verifies with the local keyring and they cover every group */
  verifiedWithKeyring: boolean;
  /** why not, in one line */
  problem?: string;
  details: SignatureReport[];
}

/**
 * What `inspect` says about a SIF's signatures: each one's format, signer and covered objects, checked against
 * the local keyring (legacy signatures in legacy mode, the others as `verify` does).
 */
export async function signatureStatus(session: Session, info: ImageInspection): Promise<SignatureStatus | undefined> {
  if (info.format !== 'sif' || !info.signed) return undefined;
  const keys = await keyringOf(session).material();
  const report = await verifySif(info.path, { keys });
  const details = report.signatures;
  if (details.some((s) => s.format === 'legacy')) {
    const legacy = await verifySif(info.path, { keys, legacy: true, selection: { kind: 'all' } });
    for (const entry of legacy.signatures) {
      const index = details.findIndex((s) => s.id === entry.id && s.status === 'skipped');
      if (index !== -1 && entry.status !== 'skipped') details[index] = entry;
    }
  }
  return { verifiedWithKeyring: report.verified, ...(report.message ? { problem: report.message } : {}), details };
}
