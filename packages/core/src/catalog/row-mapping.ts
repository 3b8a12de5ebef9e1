import type { ImageRecord } from '../contracts/records';
import { parseTimestamp } from './timestamp';

/** Raw columns selected for a record (container columns plus the collection's name). */
export interface RawRecordRow {
  id: number;
  collection_id: number;
  collection: string | null;
  name: string;
  tag: string;
  version: string | null;
  image: string | null;
  url: string | null;
  uri: string | null;
  client: string;
  metrics: string | null;
  created_at: unknown;
}

export function rowToRecord(row: RawRecordRow): ImageRecord {
  return {
    id: Number(row.id),
    collectionId: Number(row.collection_id),
    collection: row.collection ?? '',
    name: row.name,
    tag: row.tag,
    version: row.version,
    image: row.image,
    url: row.url,
    uri: row.uri,
    client: row.client,
    metrics: parseMetrics(row.metrics),
    createdAt: parseTimestamp(row.created_at),
  };
}

/** Metrics are JSON text; a row another tool damaged still lists, with its text kept under `raw`. */
export function parseMetrics(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  } catch {
    return { raw: text };
  }
}
