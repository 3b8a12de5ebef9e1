import fs from 'node:fs';
import path from 'node:path';
import { recordToJson } from '../catalog/record-json';
import { sortedJson } from '../output/format';
import { redactJson } from '../output/untrusted';
import { inspectImage } from '../sif/index';
import { findRecord } from './find-record';
import { fileTarget } from './image-target';
import type { Session } from './session';
import { signatureStatus } from './signature-status';

/**
 * `inspect <uri>`: the record (the original's keys) plus what the image file itself says (SIF metadata).
 * `inspect <file>`: what an image file says, catalogued or not (as `sign` and `verify` take a file, so their
 * fixes can point here for its object groups).
 */
export async function inspectRecord(session: Session, query: string): Promise<Record<string, unknown>> {
  const file = fileTarget(query);
  if (file) return inspectFile(session, file);
  const record = await findRecord(session, query, 'inspect');
  const json: Record<string, unknown> = { ...recordToJson(record) };
  // another user's image in a folder closed to this one is there, not missing
  const denied = record.image ? accessDenied(record.image) : undefined;
  if (record.image && denied) {
    session.out.warn(`cannot read image file ${record.image}: permission denied (${denied}) by a folder on its path`);
  } else if (record.image && fs.existsSync(record.image)) {
    try {
      const info = await inspectImage(record.image);
      const signatures = await signatureStatus(session, info);
      json.sif = signatures && info.format === 'sif' ? { ...info, signatures: { ...info.signatures, ...signatures } } : info;
    } catch (error) {
      json.sif = { error: (error as Error).message };
      session.out.warn(`could not read ${record.image}: ${(error as Error).message}`);
    }
  } else if (record.image) {
    session.out.warn(`image file ${record.image} does not exist on the file system`);
  }
  session.out.result(record.image ?? record.url ?? `No storage file found for ${query}`);
  // catalogues written before redaction existed may still hold a manifest's secrets
  const shown = redactJson(json) as Record<string, unknown>;
  session.out.result(sortedJson(shown));
  return shown;
}

/** `inspect <file>`: the path, then `{ "sif": … }` as for a catalogued image's file. */
async function inspectFile(session: Session, given: string): Promise<Record<string, unknown>> {
  const file = path.resolve(given);
  const info = await inspectImage(file);
  const signatures = await signatureStatus(session, info);
  const json = { sif: signatures && info.format === 'sif' ? { ...info, signatures: { ...info.signatures, ...signatures } } : info };
  session.out.result(file);
  session.out.result(sortedJson(json));
  return json;
}

/** EACCES or EPERM when a folder on the path keeps this user from the file; undefined otherwise. */
function accessDenied(file: string): string | undefined {
  try {
    fs.statSync(file, { bigint: true });
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' ? code : undefined;
  }
}
