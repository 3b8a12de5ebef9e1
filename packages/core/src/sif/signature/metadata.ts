import type { SifDescriptor } from '../types';
import { type Digest, descriptorDigest, formatDigest, headerDigest, type ObjectHasher, parseDigest } from './digests';
import { relativeId, type SifLayout } from './layout';

/** The signed metadata, version 1 (sif-signatures.md §2.5), as parsed from a signature's payload. */
export interface ImageMetadata {
  header: Digest;
  objects: { relativeId: number; descriptorDigest: Digest; objectDigest: Digest }[];
}

/**
 * Go's `json.Marshal` of the metadata for `objects` (ascending id): fixed key order, no whitespace, no trailing
 * newline. JSON.stringify over objects built in that key order gives the same bytes.
 */
export async function metadataJson(layout: SifLayout, hasher: ObjectHasher, objects: SifDescriptor[]): Promise<string> {
  const sorted = [...objects].sort((a, b) => a.id - b.id);
  const entries = [];
  for (const object of sorted) {
    entries.push({
      relativeId: relativeId(layout, object),
      descriptorDigest: formatDigest(descriptorDigest(layout, object)),
      objectDigest: formatDigest(await hasher.objectDigest(object)),
    });
  }
  return JSON.stringify({ version: 1, header: { digest: formatDigest(headerDigest(layout)) }, objects: entries });
}

/** Go's JSON decoding matches keys case-insensitively and ignores unknown ones; so does this. */
function field(value: unknown, name: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (name in record) return record[name];
  const key = Object.keys(record).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : record[key];
}

/** Parses a payload; null when it is not metadata (bad JSON, a missing or malformed digest). */
export function parseMetadata(text: string): ImageMetadata | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const header = parseDigest(field(field(json, 'header'), 'digest'));
  const list = field(json, 'objects');
  if (!header || !Array.isArray(list)) return null;
  const objects: ImageMetadata['objects'] = [];
  for (const entry of list) {
    const id = field(entry, 'relativeId');
    const descriptor = parseDigest(field(entry, 'descriptorDigest'));
    const object = parseDigest(field(entry, 'objectDigest'));
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || !descriptor || !object) return null;
    objects.push({ relativeId: id, descriptorDigest: descriptor, objectDigest: object });
  }
  return { header, objects };
}
