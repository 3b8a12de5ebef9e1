import type { NewImageRow } from '../contracts/database';
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

// What an upsert writes, the same for every engine (sqlite-database.ts in plain SQL, sql-database.ts through
// TypeORM): each binds these values its own way.

/**
 * Of the rows with the new row's collection, name, tag and version, the one an upsert updates. The original
 * matches without the client; preferring the row of the same client keeps the update from colliding with
 * _container_uc when rows of several clients exist.
 */
export function rowToUpdate(candidates: RawRecordRow[], row: NewImageRow): RawRecordRow | undefined {
  return candidates.find((c) => c.client === row.client) ?? candidates[0];
}

/** The changes to the row found: its metrics merged with the new ones, url and client; the image only when known. */
export function upsertChanges(
  existing: RawRecordRow,
  row: NewImageRow,
): { metrics: string; url: string | null; client: string; image?: string } {
  const merged = { ...rowToRecord(existing).metrics, ...row.metrics };
  const set: { metrics: string; url: string | null; client: string; image?: string } = {
    metrics: JSON.stringify(merged),
    url: row.url,
    client: row.client,
  };
  if (row.image !== null) set.image = row.image;
  return set;
}

/** The columns of a new container row, all but created_at (which each engine binds as it does timestamps). */
export function newRowColumns(row: NewImageRow, collectionId: number) {
  return {
    metrics: JSON.stringify(row.metrics),
    name: row.name,
    tag: row.tag,
    image: row.image,
    url: row.url,
    uri: `${row.collection}/${row.name}:${row.tag}${row.version ? `@${row.version}` : ''}`,
    client: row.client,
    version: row.version,
    collectionId,
  };
}
