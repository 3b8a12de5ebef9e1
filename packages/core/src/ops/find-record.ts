import type { CatalogView } from '../catalog/reader';
import type { ImageName } from '../contracts/image-name';
import type { ImageRecord } from '../contracts/records';
import { UserError } from '../errors';
import type { Session } from './session';

/**
 * Looks a name up like the original's `get` (collection/name/tag, plus version when given), except that of
 * several versions of a name it finds the newest (the last catalogued), where the original took the first: after
 * a tag moved and was pulled again, `get` gives the image just pulled. Commands that go on to change the record
 * pass the full catalogue they will change it through.
 */
export async function findRecord(
  session: Session,
  query: string,
  purpose: string,
  from?: CatalogView,
  options: { oneVersion?: boolean } = {},
): Promise<ImageRecord> {
  const catalog = from ?? (await session.catalogView(purpose));
  const name = session.parseLocal(query);
  const record = (await catalog.find(name)) ?? (await catalog.find(nestedName(name)));
  if (!record) {
    throw new UserError(`image ${query} not found in database`, {
      fix: 'list what is there with: sregistry images',
      code: 'ENOTFOUND',
    });
  }
  if (options.oneVersion && !name.version) await refuseSeveralVersions(catalog, record, query, purpose);
  return record;
}

/**
 * A command that deletes must not pick one of several versions the user did not name, so it asks for the version
 * instead.
 */
async function refuseSeveralVersions(catalog: CatalogView, record: ImageRecord, query: string, purpose: string): Promise<void> {
  const same = (a: string | null | undefined, b: string | null | undefined) => (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
  const versions = [...(await catalog.list(record.name, { metrics: false }))].filter(
    (r) => same(r.collection, record.collection) && same(r.name, record.name) && same(r.tag, record.tag),
  );
  if (versions.length < 2) return;
  const named = versions.map((r) => r.version ?? '').filter(Boolean);
  throw new UserError(`${query} has ${versions.length} versions (${named.slice(0, 3).join(', ')}${named.length > 3 ? ', …' : ''})`, {
    fix: `name the one to remove: sregistry ${purpose} ${record.collection}/${record.name}:${record.tag}@${named[0] ?? '<version>'}`,
    code: 'EAMBIGUOUS',
  });
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
