import fs from 'node:fs';
import { announceLocal } from './announce';
import { findRecord } from './find-record';
import type { Session } from './session';

/**
 * `rm` removes the record and keeps the file (saying where it is); `rmi` removes both (catalog.remove: the file
 * first, under an intent that recovery finishes). Of several versions of a name, the version must be given.
 */
export async function removeImage(session: Session, query: string, options: { deleteFile: boolean; force?: boolean }) {
  const purpose = options.deleteFile ? 'rmi' : 'rm';
  announceLocal(session, query);
  const catalog = await session.catalog(purpose);
  const record = await findRecord(session, query, purpose, catalog, { oneVersion: true });
  const result = await catalog.remove(record, { deleteFile: options.deleteFile, force: options.force });
  const uri = record.uri ?? query;
  session.out.result(`[${purpose}] ${uri}`);
  // rmi found no file to remove; rm has none to keep
  const gone = record.image && (options.deleteFile ? !result.fileRemoved : !fs.existsSync(record.image));
  if (gone) session.out.warn(`image file ${record.image} did not exist on the file system`);
  else if (record.image && !options.deleteFile) session.out.result(`the file is kept at ${record.image} (use rmi to remove it too)`);
  return { uri, path: record.image, fileRemoved: result.fileRemoved };
}
