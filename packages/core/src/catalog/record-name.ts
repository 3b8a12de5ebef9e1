import type { ImageRecord } from '../contracts/records';

/**
 * A record's name for a message: its uri, or (a row without one, as the original may write) collection/name:tag,
 * with `@version` when `withVersion` asks for it.
 */
export function recordName(record: Pick<ImageRecord, 'uri' | 'collection' | 'name' | 'tag' | 'version'>, withVersion = false): string {
  if (record.uri) return record.uri;
  const version = withVersion && record.version ? `@${record.version}` : '';
  return `${record.collection}/${record.name}:${record.tag}${version}`;
}
