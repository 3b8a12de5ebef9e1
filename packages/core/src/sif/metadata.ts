import type { SifAppMetadata, SifInspectMetadata } from './types';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Labels and environment maps are string → string; other scalar values are kept as text, nested values dropped. */
function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string') out[key] = item;
    else if (typeof item === 'number' || typeof item === 'boolean') out[key] = String(item);
  }
  return out;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function appMetadata(attributes: Json): SifAppMetadata {
  return {
    labels: stringMap(attributes.labels),
    environment: stringMap(attributes.environment),
    runscript: text(attributes.runscript),
    startscript: text(attributes.startscript),
    test: text(attributes.test),
    helpfile: text(attributes.helpfile),
  };
}

/**
 * The `data.attributes` of an `inspect-metadata.json` object (B.8), normalised so every key is present.
 * Every attribute is optional in the source. Returns null when the document has no attributes at all.
 */
export function parseInspectMetadata(document: unknown): SifInspectMetadata | null {
  if (!isObject(document) || !isObject(document.data) || !isObject(document.data.attributes)) return null;
  const attributes = document.data.attributes;
  const apps: Record<string, SifAppMetadata> = {};
  if (isObject(attributes.apps)) {
    for (const [name, app] of Object.entries(attributes.apps)) if (isObject(app)) apps[name] = appMetadata(app);
  }
  return { ...appMetadata(attributes), apps };
}

/** A Labels (0x4003) object: a flat JSON object. */
export function parseLabelsObject(document: unknown): Record<string, string> | null {
  return isObject(document) ? stringMap(document) : null;
}
