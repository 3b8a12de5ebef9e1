import { type ErrorCode, UserError } from '../errors';
import { shellWord } from '../output/shell-word';
import { printable } from '../output/untrusted';
import { pullVerify } from '../settings/env';
import { NO_LEGACY_SIGNATURES, type VerifyProblem, type VerifyReport, type VerifySelection, verifySif } from '../sif/signature/index';
import { cancelled } from '../transfer/retry';
import { imageTarget, withSifFix } from './image-target';
import { verificationKeys } from './keys';
import type { Session } from './session';
import { signatureLines } from './signature-lines';

export interface VerifyImageOptions {
  /** an image file or a catalogued image name */
  target: string;
  /** --key files (OpenPGP or PEM public keys), tried with the keyring's keys */
  keyFiles?: readonly string[];
  selection?: VerifySelection;
  legacy?: boolean;
  /** the command's Ctrl-C (ops/interrupt.ts): ends the command with its cancel line (ECANCELLED), as sign's does */
  signal?: AbortSignal;
}

/** The fix shown after each kind of failure. */
const FIXES: Record<VerifyProblem, (file: string, report: VerifyReport) => string> = {
  unsigned: (file) => `sign it with: sregistry sign ${shellWord(file)} --key FILE`,
  'legacy-only': () => 'add --legacy to accept them',
  'not-covered': (_file, report) =>
    // --legacy on an image whose signatures are all of the current kind: it is signed, the flag is what is wrong
    report.message === NO_LEGACY_SIGNATURES
      ? 'its signatures are not legacy ones: verify it without --legacy'
      : 'sign the whole image (sregistry sign), or verify a signed part with --group N or --object N',
  'not-found': (file) => `list the objects and groups with: sregistry inspect ${shellWord(file)}`,
  tampered: () => 'do not use this image: get it again from a source you trust',
  'unknown-key': (_file, report) =>
    // the key was given (or kept) and found: what it needs is renewing, not passing again
    /\b(revoked|expired)\b/i.test(report.message ?? '')
      ? "the signer's key is revoked or expired: get its current public key from the signer (sregistry key import FILE), or do not trust the image"
      : "pass the signer's public key with --key FILE, or keep it with: sregistry key import FILE",
  unsupported: () => 'only OpenPGP clear-signed and DSSE signatures (and legacy ones with --legacy) can be verified',
  'invalid-image': () => 'check the file',
};

// unsigned and legacy-only reports already say what is wrong with the image
const WHAT: Record<VerifyProblem, string> = {
  unsigned: '',
  'legacy-only': '',
  'not-covered': 'is not covered by its signatures',
  'not-found': 'has no such part',
  tampered: 'does not match its signature',
  'unknown-key': 'cannot be verified with the keys given',
  unsupported: 'has a signature that cannot be checked',
  'invalid-image': 'is not a valid image',
};

const CODES: Record<VerifyProblem, ErrorCode> = {
  unsigned: 'EVERIFY_UNSIGNED',
  'legacy-only': 'EVERIFY_LEGACY_ONLY',
  'not-covered': 'EVERIFY_NOT_COVERED',
  'not-found': 'EVERIFY_NOT_FOUND',
  tampered: 'EVERIFY_TAMPERED',
  'unknown-key': 'EVERIFY_UNKNOWN_KEY',
  unsupported: 'EVERIFY_UNSUPPORTED',
  'invalid-image': 'EVERIFY_INVALID_IMAGE',
};

/** The one line (message; fix) a failed verification is reported with. */
export function verifyFailure(report: VerifyReport, shown: string): UserError {
  const problem = report.problem ?? 'tampered';
  const message = WHAT[problem] ? `${shown} ${WHAT[problem]}: ${report.message}` : `${shown} ${report.message}`;
  return new UserError(printable(message, { max: 0 }), {
    fix: FIXES[problem](shown, report),
    code: CODES[problem],
    data: { verify: report },
  });
}

/**
 * `verify <file-or-uri>`: every signature must verify with a given or kept key and cover what was asked for
 * (all groups by default). Success prints each signature and the verified objects; failure is one line, and with
 * --json the report comes with the error.
 */
export async function verifyImage(session: Session, options: VerifyImageOptions): Promise<VerifyReport> {
  const { file, record } = await imageTarget(session, options.target, 'verify');
  const keys = await verificationKeys(session, options.keyFiles ?? []);
  const report = printableReport(
    await withSifFix(record, () => verifySif(file, { keys, selection: options.selection, legacy: options.legacy, signal: options.signal })),
  );
  // a Ctrl-C after the last read (or before the first) is still a cancelled command, not a result
  if (options.signal?.aborted) throw cancelled(options.signal, 'verify');
  const shown = printable(options.target);
  if (!report.verified) throw verifyFailure(report, shown);
  for (const signature of report.signatures) for (const line of signatureLines(signature)) session.out.result(line);
  session.out.info(`Verified signature(s) from image '${shown}'`);
  return report;
}

/**
 * The report's texts escaped as the error line is: a signature's message (openpgp.js's words about the file's
 * bytes) and a signer's user id come from the image and the keys, and may carry control characters.
 */
export function printableReport(report: VerifyReport): VerifyReport {
  const text = (value: string | undefined) => (value === undefined ? undefined : printable(value, { max: 0 }));
  return {
    ...report,
    ...(report.message === undefined ? {} : { message: text(report.message) }),
    signatures: report.signatures.map((s) => ({
      ...s,
      ...(s.message === undefined ? {} : { message: text(s.message) }),
      signers: s.signers.map((k) => ({ ...k, identity: k.identity === null ? null : printable(k.identity, { max: 0 }) })),
    })),
  };
}

/** --all / --group N / --object N as a selection (the flags are exclusive; none is the default). */
export function verifySelection(flags: { all?: boolean; group?: number; object?: number }): VerifySelection {
  if (flags.group !== undefined) return { kind: 'group', groupId: flags.group };
  if (flags.object !== undefined) return { kind: 'object', id: flags.object };
  return flags.all ? { kind: 'all' } : { kind: 'default' };
}

/**
 * `pull --verify` (or SREGISTRY_PULL_VERIFY=1): the downloaded file must verify with the keyring (and any --key
 * files) before it is catalogued; the pull's own clean-up removes it when this throws. Returns the line that
 * says who signed it (undefined when nothing was verified); printing it is the caller's.
 */
export async function verifyPulled(
  session: Session,
  file: string,
  shown: string,
  options: { verify?: boolean; keyFiles?: readonly string[] },
): Promise<string | undefined> {
  if (!(options.verify ?? pullVerify(session.env))) return undefined;
  const report = printableReport(await verifySif(file, { keys: await verificationKeys(session, options.keyFiles ?? []) }));
  if (!report.verified) {
    const failure = verifyFailure(report, printable(shown));
    // a tampered image gets verify's own advice (do not use it), not a way around the check
    const fix =
      report.problem === 'unknown-key' || report.problem === 'tampered'
        ? failure.fix
        : 'pull it without --verify (and SREGISTRY_PULL_VERIFY) only if you trust its source';
    throw new UserError(`${failure.message}; the image was not kept`, { fix, code: failure.code, data: failure.data });
  }
  const signers = report.signatures.flatMap((s) => s.signers.map((k) => (k.identity ? printable(k.identity) : (k.fingerprint ?? k.keyId))));
  return `Verified signature(s) of ${printable(shown)} (${[...new Set(signers)].join(', ')})`;
}
