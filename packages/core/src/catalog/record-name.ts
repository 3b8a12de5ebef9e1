import type { ImageRecord } from '../contracts/records';
import { knownCode, UserError } from '../errors';

/**
 * A record's name for a message: its uri, or (a row without one, as the original may write) collection/name:tag,
 * with `@version` when `withVersion` asks for it.
 */
export function recordName(record: Pick<ImageRecord, 'uri' | 'collection' | 'name' | 'tag' | 'version'>, withVersion = false): string {
  if (record.uri) return record.uri;
  const version = withVersion && record.version ? `@${record.version}` : '';
  return `${record.collection}/${record.name}:${record.tag}${version}`;
}

/** A record's file that this user may not reach (a folder on its path closed to them): not a missing file. */
export function unreachable(record: ImageRecord, file: string, code: string): UserError {
  return new UserError(`cannot reach ${file} (${recordName(record)}): permission denied (${code}) by a folder on its path`, {
    fix: "ask the folder's owner for access, or work on an image of your own",
    code: knownCode(code, 'EACCES'),
  });
}
