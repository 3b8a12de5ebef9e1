import path from 'node:path';
import { recordToJson } from '../catalog/record-json';
import type { ImageRecordJson } from '../contracts/records';
import { UserError } from '../errors';
import { announceLocal } from './announce';
import { findRecord } from './find-record';
import type { Session } from './session';

/** `mv <uri> <path>`: moves the stored file elsewhere and points the record at it (client-spec §2.8). */
export async function moveImage(
  session: Session,
  query: string,
  dest: string,
  options: { force?: boolean; signal?: AbortSignal } = {},
): Promise<ImageRecordJson> {
  // path.resolve('') is the current folder: an empty argument (an unset variable) must not mean "here"
  if (dest.trim() === '') throw new UserError('the destination path is empty', { fix: 'give a folder or a file path', code: 'EUSAGE' });
  announceLocal(session, query);
  const catalog = await session.catalog('mv');
  const record = await findRecord(session, query, 'mv', catalog);
  const before = record.image;
  // resolved, with a trailing separator kept: `dir/` means a folder (Catalog.move)
  const updated = await catalog.move(record, path.resolve(dest) + (/[\\/]$/.test(dest) ? path.sep : ''), options);
  session.out.result(`[move] ${before ? path.basename(before) : query} => ${updated.image}`);
  return recordToJson(updated);
}

/** `rename <uri> <new-uri>`: new collection/name/tag, same version, file moved to its new storage path. */
export async function renameImage(
  session: Session,
  query: string,
  newName: string,
  options: { force?: boolean; signal?: AbortSignal } = {},
): Promise<ImageRecordJson> {
  announceLocal(session, query);
  const catalog = await session.catalog('rename');
  const record = await findRecord(session, query, 'rename', catalog);
  const before = record.image;
  if (newName.trim() === '') throw new UserError('the new name is empty', { fix: 'give collection/name[:tag]', code: 'EUSAGE' });
  const target = session.parseNewLocal(newName, 'the new name');
  const updated = await catalog.rename(record, target, options);
  session.out.result(`[rename] ${before ? path.basename(before) : query} => ${updated.image}`);
  return recordToJson(updated);
}
