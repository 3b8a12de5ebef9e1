// URL paths of the native API (registry-api.md §1.1). Each part is percent-encoded on its own so that the
// separators `/`, `:` and `@` keep their meaning and a name can never change the path's shape.
import type { ImageName } from '@sregistry/core';

type NameParts = Pick<ImageName, 'collection' | 'image' | 'tag' | 'version'>;

/** A collection may hold `/` (Google-build setups): its segments are encoded one by one. */
export function encodeCollection(collection: string): string {
  return collection.split('/').map(encodeURIComponent).join('/');
}

/** `/container/<c>/<n>:<t>[@<v>]`; GET ignores the version (the answer is the tag's current one), DELETE matches it. */
export function containerPath(name: NameParts, withVersion: boolean): string {
  const version = withVersion && name.version ? `@${encodeURIComponent(name.version)}` : '';
  return `/container/${encodeCollection(name.collection)}/${encodeURIComponent(name.image)}:${encodeURIComponent(name.tag)}${version}`;
}

/** `/container/search/[collection/<c>/]name/<n>[/tag/<t>]`: the server's exact-match container search. */
export function containerSearchPath(query: { collection?: string; name: string; tag?: string }): string {
  const byName = `name/${encodeURIComponent(query.name)}${query.tag ? `/tag/${encodeURIComponent(query.tag)}` : ''}`;
  return `/container/search/${query.collection === undefined ? '' : `collection/${encodeCollection(query.collection)}/`}${byName}`;
}

/** `collection/name:tag[@version]` without a registry host, for messages. */
export function plainUri(name: NameParts): string {
  return `${name.collection}/${name.image}:${name.tag}${name.version ? `@${name.version}` : ''}`;
}
