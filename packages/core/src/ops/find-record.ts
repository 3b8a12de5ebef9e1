import type { CatalogView } from '../catalog/reader';
import type { ImageName } from '../contracts/image-name';
import type { ImageRecord } from '../contracts/records';
import { UserError } from '../errors';
import type { Session } from './session';

/**
 * Looks a name up like the original's `get` (collection/name/tag, plus version when given). Commands that go on
 * to change the record pass the full catalogue they will change it through.
 */
export async function findRecord(session: Session, query: string, purpose: string, from?: CatalogView): Promise<ImageRecord> {
  const catalog = from ?? (await session.catalogView(purpose));
  const name = session.parseLocal(query);
  const record = (await catalog.find(name)) ?? (await catalog.find(nestedName(name)));
  if (!record) {
    throw new UserError(`image ${query} not found in database`, {
      fix: 'list what is there with: sregistry images',
      code: 'ENOTFOUND',
    });
  }
  return record;
}

/**
 * `a/b/c` read with `a` as a collection level rather than a dropped registry: library:// images are catalogued
 * under `<entity>/<collection>`, and the parser takes the first of three parts for a host. Only a plain word (no
 * dot, colon or `localhost`) is folded back; a name without a registry is returned as it is.
 */
export function nestedName(name: ImageName): ImageName {
  const registry = name.registry;
  if (!registry || /[.:]/.test(registry) || registry === 'localhost') return name;
  const collection = `${registry}/${name.collection}`;
  const url = `${collection}/${name.image}`;
  const uri = `${url}:${name.tag}${name.version ? `@${name.version}` : ''}`;
  return { ...name, registry: undefined, collection, url, uri, storage: `${uri}.sif` };
}
