import { GROUP_FLAG } from '../constants';
import { hashTypeName } from '../enums';
import { type ImageFile, withImageFile } from '../file-reader';
import type { SifDescriptor } from '../types';
import { descriptorDigest, headerDigest, ObjectHasher } from './digests';
import { parseEnvelope, verifyEnvelope } from './dsse';
import { detectSignatureFormat, unverifiedPayload } from './envelope';
import type { KeyMaterial } from './keys';
import { minimumId, readLayout, type SifLayout } from './layout';
import { parseSifHash } from './legacy';
import { parseMetadata } from './metadata';
import { keyIdentity, PgpVerifyError, pgpAlgorithm, verifyClearsigned } from './openpgp';
import { buildTasks, describeTask, type Task } from './tasks';
import type { SignatureFormat, SignatureReport, SignerReport, VerifyProblem, VerifyReport, VerifySelection } from './types';

/** The report's message when --legacy finds only current signatures (the command's fix tells it apart). */
export const NO_LEGACY_SIGNATURES = 'no legacy signatures';

export interface VerifyOptions {
  keys: KeyMaterial;
  selection?: VerifySelection;
  /** check legacy signatures instead of metadata ones (they protect object data only) */
  legacy?: boolean;
  /** Ctrl-C: hashing stops at its next read (ECANCELLED) */
  signal?: AbortSignal;
}

/** Signature objects are small text; anything this large is not one. */
const MAX_SIGNATURE_BYTES = 16 * 1024 * 1024;
/** Hash types a signature descriptor may carry (§1.3); others are "hash algorithm unsupported". */
const VALID_HASH_TYPES = new Set([1, 2, 3, 4, 5]);

class Failure extends Error {
  constructor(
    readonly problem: VerifyProblem,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Verifies the signatures of a SIF as the reference verifier does (sif-signatures.md §5): the digests are
 * recomputed from the file, every signature of every task must verify with the keys given, and whole-group tasks
 * need the signed objects to be exactly the group. Each object is read and hashed once, however many
 * signatures cover it. Throws a UserError only when the file is not a SIF; everything else is in the report.
 */
export async function verifySif(path: string, options: VerifyOptions): Promise<VerifyReport> {
  return withImageFile(path, undefined, (file) => verifyOpen(file, options));
}

async function verifyOpen(file: ImageFile, options: VerifyOptions): Promise<VerifyReport> {
  const selection = options.selection ?? { kind: 'default' };
  const legacy = options.legacy ?? false;
  const layout = await readLayout(file);
  const hasher = new ObjectHasher(file, options.signal);
  const report: VerifyReport = { path: file.path, selection, legacy, verified: false, signatures: [] };

  const signatureObjects = layout.descriptors.filter((d) => d.signature);
  const data = new Map<number, Buffer>();
  const formats = new Map<number, SignatureFormat>();
  for (const descriptor of signatureObjects) {
    const bytes = descriptor.size > MAX_SIGNATURE_BYTES ? Buffer.alloc(0) : await file.read(descriptor.offset, descriptor.size);
    data.set(descriptor.id, bytes);
    formats.set(descriptor.id, detectSignatureFormat(bytes));
  }
  const reports = new Map(signatureObjects.map((d) => [d.id, baseReport(d, formats.get(d.id)!, legacy)]));
  report.signatures = [...reports.values()];
  const fail = (problem: VerifyProblem, message: string): VerifyReport => Object.assign(report, { problem, message });

  if (signatureObjects.length === 0) return fail('unsigned', 'has no signatures');
  const tasks = buildTasks(layout, formats, selection, legacy);
  if (!Array.isArray(tasks)) return fail(tasks.problem, tasks.message);

  for (const task of tasks) {
    if (task.signatures.length === 0) {
      const others = signatureObjects.filter((d) => (formats.get(d.id) === 'legacy') !== legacy);
      if (!legacy && others.length > 0 && others.length === signatureObjects.length) {
        return fail('legacy-only', 'has only legacy signatures, which protect object data but not the header or descriptors');
      }
      if (legacy && others.length === signatureObjects.length) return fail('not-covered', NO_LEGACY_SIGNATURES);
      return fail('not-covered', `signature not found for ${describeTask(task)}`);
    }
    for (const descriptor of task.signatures) {
      const entry = reports.get(descriptor.id)!;
      const context = { layout, hasher, keys: options.keys, task, descriptor, data: data.get(descriptor.id)!, entry };
      try {
        if (entry.format === 'legacy') await checkLegacy(context);
        else await checkMetadataSignature(context);
        if (entry.status !== 'failed') entry.status = 'verified';
        delete entry.message;
      } catch (error) {
        if (!(error instanceof Failure)) throw error;
        Object.assign(entry, { status: 'failed', problem: error.problem, message: error.message });
        report.problem ??= error.problem;
        report.message ??= `signature ${descriptor.id}: ${error.message}`;
      }
    }
  }
  report.verified = report.problem === undefined;
  return report;
}

function baseReport(descriptor: SifDescriptor, format: SignatureFormat, legacy: boolean): SignatureReport {
  const skipped =
    format === 'legacy' && !legacy
      ? 'legacy signature: checked only with --legacy'
      : format !== 'legacy' && legacy
        ? 'not a legacy signature'
        : 'not selected';
  return {
    id: descriptor.id,
    format,
    link: descriptor.link,
    hashType: descriptor.signature?.hashName ?? hashTypeName(0),
    entity: descriptor.signature?.fingerprint ?? null,
    status: 'skipped',
    message: skipped,
    signers: [],
    time: null,
    objects: [],
  };
}

interface CheckContext {
  layout: SifLayout;
  hasher: ObjectHasher;
  keys: KeyMaterial;
  task: Task;
  descriptor: SifDescriptor;
  data: Buffer;
  entry: SignatureReport;
}

/** Steps 4.1–4.8 of §5 for a PGP or DSSE signature over metadata. */
async function checkMetadataSignature(context: CheckContext): Promise<void> {
  const { layout, hasher, task, descriptor, entry } = context;
  if (entry.format === 'unknown') throw new Failure('unsupported', 'signature format not recognized');
  if (descriptor.size > MAX_SIGNATURE_BYTES)
    throw new Failure('unsupported', `the signature object is ${descriptor.size} bytes, too large to be one`);
  if (!VALID_HASH_TYPES.has(descriptor.signature?.hashType ?? 0)) throw new Failure('unsupported', 'hash algorithm unsupported');
  const base = minimumId(layout, (GROUP_FLAG | task.groupId) >>> 0);
  // what the signature claims to cover, shown even when it cannot be checked (no key); replaced once verified
  const claimed = parseMetadata(unverifiedPayload(entry.format, context.data) ?? '');
  if (claimed) entry.objects = claimed.objects.map((o) => base + o.relativeId).sort((a, b) => a - b);
  const payload = entry.format === 'dsse' ? checkDsse(context) : await checkPgp(context);

  const metadata = parseMetadata(payload);
  if (!metadata) throw new Failure('tampered', 'the signed metadata is not valid');
  const signed = new Map(metadata.objects.map((o) => [base + o.relativeId, o]));
  entry.objects = [...signed.keys()].sort((a, b) => a - b);

  if (task.kind === 'group') {
    const members = new Set(task.objects.map((d) => d.id));
    const extra = task.objects.find((d) => !signed.has(d.id));
    if (extra) throw new Failure('tampered', `object ${extra.id}: object not signed (added to the group after signing?)`);
    const gone = entry.objects.find((id) => !members.has(id));
    if (gone !== undefined) throw new Failure('tampered', `object ${gone}: signed object not found`);
  }
  const header = headerDigest(layout, metadata.header.algorithm);
  if (header.hex !== metadata.header.hex) throw new Failure('tampered', 'header integrity compromised');
  for (const object of task.objects) {
    const expected = signed.get(object.id);
    if (!expected) throw new Failure('not-covered', `object ${object.id}: object not signed`);
    if (descriptorDigest(layout, object, expected.descriptorDigest.algorithm).hex !== expected.descriptorDigest.hex) {
      throw new Failure('tampered', `data object descriptor integrity compromised: ${object.id}`);
    }
    if ((await hasher.objectDigest(object, expected.objectDigest.algorithm)).hex !== expected.objectDigest.hex) {
      throw new Failure('tampered', `data object integrity compromised: ${object.id}`);
    }
  }
}

function checkDsse({ keys, data, entry }: CheckContext): string {
  if (keys.pem.length === 0) throw new Failure('unknown-key', 'key material not provided for DSSE envelope signature (a PEM public key)');
  const envelope = parseEnvelope(data);
  if (!envelope) throw new Failure('tampered', 'the DSSE envelope is malformed');
  const result = verifyEnvelope(envelope, keys.pem);
  if (result.accepted.length === 0) {
    if (result.matchedKeyIds === 0) {
      const ids = envelope.signatures.map((s) => s.keyid || '(no keyid)').join(', ');
      throw new Failure('unknown-key', `the DSSE envelope was signed by unknown key(s) ${ids}`);
    }
    throw new Failure('tampered', 'the DSSE envelope signature does not verify');
  }
  entry.signers = result.accepted.map(
    ({ key, scheme }): SignerReport => ({
      keyFormat: 'pem',
      fingerprint: null,
      keyId: key.keyId,
      identity: null,
      algorithm: scheme,
      source: key.source,
    }),
  );
  return result.payload.toString('utf8');
}

/** Verifies the clear-signed message and the descriptor's fingerprint; returns the plaintext. */
async function checkPgp({ keys, data, descriptor, entry }: CheckContext, what = 'PGP clear-sign signature'): Promise<string> {
  if (keys.pgp.length === 0) throw new Failure('unknown-key', `key material not provided for ${what} (an OpenPGP public key)`);
  let result: Awaited<ReturnType<typeof verifyClearsigned>>;
  try {
    result = await verifyClearsigned(
      data.toString('utf8'),
      keys.pgp.map((k) => k.key),
    );
  } catch (error) {
    if (error instanceof PgpVerifyError) throw new Failure(error.kind, error.message);
    throw error;
  }
  const fingerprint = result.key.getFingerprint().toUpperCase();
  entry.signers = [
    {
      keyFormat: 'openpgp',
      fingerprint,
      keyId: result.keyId,
      identity: await keyIdentity(result.key),
      algorithm: pgpAlgorithm(result.key),
      source: keys.pgp.find((k) => k.key.getFingerprint() === result.key.getFingerprint())?.source ?? '',
    },
  ];
  entry.time = result.created?.toISOString() ?? null;
  // the descriptor holds the first 20 bytes of the primary fingerprint (§1.3); a v4 fingerprint is exactly that
  const recorded = descriptor.signature?.fingerprint ?? null;
  if (entry.format !== 'legacy' || recorded !== null) {
    if (recorded === null || recorded !== fingerprint.slice(0, 40)) {
      throw new Failure('tampered', 'fingerprint in descriptor does not correspond to signing entity');
    }
  }
  return result.text;
}

/** A legacy SIFHASH signature: the hash of one object, or of a whole group's data in table order. */
async function checkLegacy(context: CheckContext): Promise<void> {
  const { layout, hasher, task, descriptor, entry } = context;
  const linkedGroup = descriptor.link?.type === 'group';
  const objects = linkedGroup ? layout.descriptors.filter((d) => d.groupId === task.groupId) : task.objects;
  entry.objects = objects.map((d) => d.id);
  const text = await checkPgp(context, 'legacy PGP signature');
  const expected = parseSifHash(text, descriptor.signature?.hashType ?? 0);
  if ('error' in expected) throw new Failure('unsupported', expected.error);
  const actual = await hasher.digest(expected.node, objects);
  if (actual !== expected.hex) {
    throw new Failure(
      'tampered',
      linkedGroup ? `object group ${task.groupId} integrity compromised` : `data object integrity compromised: ${objects[0]!.id}`,
    );
  }
}
