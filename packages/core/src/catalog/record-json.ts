import type { ImageRecord, ImageRecordJson } from '../contracts/records';
import { formatTimestamp } from './timestamp';

/** The record as the original's `inspect` prints it (keys in its sorted order, created_at as stored). */
export function recordToJson(record: ImageRecord): ImageRecordJson {
  return {
    client: record.client,
    collection: record.collection,
    collection_id: record.collectionId,
    created_at: record.createdAt ? formatTimestamp(record.createdAt) : null,
    id: record.id,
    image: record.image,
    metrics: record.metrics,
    name: record.name,
    tag: record.tag,
    uri: record.uri,
    url: record.url,
    version: record.version,
  };
}
