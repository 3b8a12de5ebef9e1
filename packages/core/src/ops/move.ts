import path from 'node:path';
import { recordToJson } from '../catalog/record-json';
import type { ImageRecordJson } from '../contracts/records';
import { findRecord } from './find-record';
import type { Session } from './session';

/** `mv <uri> <path>`: moves the stored file elsewhere and points the record at it (client-spec §2.8). */
export async function moveImage(session: Session, query: string, dest: string): Promise<ImageRecordJson> {
  const catalog = await session.catalog('mv');
  const record = await findRecord(session, query, 'mv', catalog);
  const before = record.image;
  const updated = await catalog.move(record, path.resolve(dest));
  session.out.result(`[move] ${before ? path.basename(before) : query} => ${updated.image}`);
  return recordToJson(updated);
}

/** `rename <uri> <new-uri>`: new collection/name/tag, same version, file moved to its new storage path. */
export async function renameImage(session: Session, query: string, newName: string): Promise<ImageRecordJson> {
  const catalog = await session.catalog('rename');
  const record = await findRecord(session, query, 'rename', catalog);
  const before = record.image;
  const target = session.parseLocal(newName);
  const updated = await catalog.rename(record, target);
  session.out.result(`[rename] ${before ? path.basename(before) : query} => ${updated.image}`);
  return recordToJson(updated);
}
