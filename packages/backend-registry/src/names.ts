// The name the server has for an image (registry-api.md §1.3, §3): it stores every collection normalised (runs of
// non-alphanumerics → `-`, trimmed, lower case) and looks names up exactly, so every request — pull, search,
// delete, push — asks for the normalised collection, and messages and the catalogue use that name too.
import type { ImageName } from '@sregistry/core';
import { normaliseCollection } from './hmac';
import type { Runtime } from './runtime';

/** The server's collection name; a name with no letter or digit has none and is refused in one line. */
export function serverCollection(rt: Runtime, collection: string): string {
  const normalised = normaliseCollection(collection);
  if (!normalised) {
    throw new rt.host.UserError(`the collection name "${rt.host.printable(collection)}" has no letters or digits`, {
      fix: 'choose a collection name like vanessa',
      code: 'EBADNAME',
    });
  }
  // lower-casing is the original's own parse rule; anything more is news to the user, said once per name
  if (normalised !== collection.toLowerCase())
    rt.sayOnce(`the registry stores the collection "${rt.host.printable(collection)}" as "${normalised}"`);
  return normalised;
}

/** `name` with the collection the server has, its url/uri/storage rebuilt (the rest is looked up as given). */
export function serverName(rt: Runtime, name: ImageName): ImageName {
  const collection = serverCollection(rt, name.collection);
  if (collection === name.collection) return name;
  const url = `${name.registry ? `${name.registry}/` : ''}${collection}/${name.image}`;
  const uri = `${url}:${name.tag}${name.version ? `@${name.version}` : ''}`;
  return { ...name, collection, url, uri, storage: `${uri}.sif` };
}
