// Name rules the real server applies before it looks anything up or checks a signature (registry-api.md §1.3).

/**
 * Push step 1 normalises the collection name: every run of non-alphanumeric characters becomes `-`, leading and
 * trailing `-` go, and the result is lower-cased. The push HMAC is checked against this form, so a client that
 * signs `Bob_Coll.X` instead of `bob-coll-x` is refused.
 */
export function normalizeCollectionName(raw: string): string {
  return raw
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
}

/** `collection/name:tag`, or `collection/name:<version>` for frozen containers (the CollectionItem `uri`). */
export function containerUri(collection: string, name: string, tag: string, frozen: boolean, version: string | null): string {
  return `${collection}/${name}:${frozen && version ? version : tag}`;
}
