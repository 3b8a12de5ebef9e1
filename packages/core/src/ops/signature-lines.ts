import { printable } from '../output/untrusted';
import type { SignatureReport, SignerReport } from '../sif/signature/index';

const FORMAT_NAMES: Record<SignatureReport['format'], string> = {
  pgp: 'OpenPGP clear-signed',
  dsse: 'DSSE envelope',
  legacy: 'legacy (OpenPGP SIFHASH)',
  unknown: 'unknown format',
};

const linkText = (s: SignatureReport) =>
  s.link?.type === 'group' ? `group ${s.link.groupId}` : s.link ? `object ${s.link.id}` : 'nothing';

function signerText(signer: SignerReport): string {
  const who = signer.identity ? `${printable(signer.identity)}, ` : '';
  const id = signer.fingerprint ? `fingerprint ${signer.fingerprint}` : `keyid ${signer.keyId}`;
  return `${who}${id} (${signer.algorithm}, ${printable(signer.source)})`;
}

/** The human lines for one signature, shared by `verify` and `inspect`. */
export function signatureLines(signature: SignatureReport): string[] {
  const status = signature.status === 'verified' ? 'verified' : signature.status === 'failed' ? 'FAILED' : 'not checked';
  const lines = [`Signature ${signature.id}: ${FORMAT_NAMES[signature.format]}, linked to ${linkText(signature)}, ${status}`];
  for (const signer of signature.signers) lines.push(`  Signer:   ${signerText(signer)}`);
  if (signature.signers.length === 0 && signature.entity) lines.push(`  Entity:   ${signature.entity} (from the descriptor)`);
  if (signature.time) lines.push(`  Signed:   ${signature.time.replace('T', ' ').replace('.000Z', ' UTC')}`);
  if (signature.objects.length > 0) lines.push(`  Objects:  ${signature.objects.join(', ')}`);
  if (signature.status !== 'verified' && signature.message) lines.push(`  Reason:   ${signature.message}`);
  return lines;
}
