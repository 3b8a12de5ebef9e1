// GET of the library's objects: /version, entities, collections, containers, images (by tag, arch or pinned
// hash) and tag maps. A private collection and everything in it answers 404 to anyone but its owner.
import { canSee, owns, reader } from '../auth';
import type { Exchange } from '../context';
import { parseImageRef } from '../refs';
import { fail, sendData } from '../respond';
import { collectionJson, containerJson, entityJson, imageJson } from '../serialize';
import { DEFAULT_ARCH } from '../state';
import type { LibraryCollectionRow, LibraryContainerRow, LibraryEntityRow, LibraryImageRow } from '../types';

export function version(ex: Exchange) {
  sendData(ex.res, { version: ex.ctx.settings.version, apiVersion: ex.ctx.settings.apiVersion });
}

export function getEntity(ex: Exchange, name: string) {
  const viewer = reader(ex);
  if (viewer === null) return;
  const entity = ex.ctx.state.entityByName(name);
  if (!entity) return fail(ex, 404, `entity ${name} not found`);
  sendData(ex.res, entityJson(ex.ctx.state, entity, owns(viewer, entity)));
}

/** The collection if it exists and the viewer may see it; otherwise answers 404 (a private one looks absent). */
export function visibleCollection(
  ex: Exchange,
  entity: string,
  collection: string,
): { entity: LibraryEntityRow; collection: LibraryCollectionRow } | null {
  const viewer = reader(ex);
  if (viewer === null) return null;
  const found = ex.ctx.state.lookup(entity, collection);
  if (!found.entity) {
    fail(ex, 404, `entity ${entity} not found`);
    return null;
  }
  if (!found.collection || !canSee(ex, viewer, found.collection)) {
    fail(ex, 404, `collection ${entity}/${collection} not found`);
    return null;
  }
  return { entity: found.entity, collection: found.collection };
}

export function visibleContainer(ex: Exchange, entity: string, collection: string, container: string): LibraryContainerRow | null {
  const found = visibleCollection(ex, entity, collection);
  if (!found) return null;
  const row = ex.ctx.state.containerByName(found.collection, container);
  if (!row) {
    fail(ex, 404, `container ${entity}/${collection}/${container} not found`);
    return null;
  }
  return row;
}

export function getCollection(ex: Exchange, entity: string, collection: string) {
  const found = visibleCollection(ex, entity, collection);
  if (found) sendData(ex.res, collectionJson(ex.ctx.state, found.collection));
}

export function getContainer(ex: Exchange, entity: string, collection: string, container: string) {
  const row = visibleContainer(ex, entity, collection, container);
  if (row) sendData(ex.res, containerJson(ex.ctx.state, row));
}

/** The image a ref names for `?arch=` (default amd64); answers 404 with a message saying what is missing. */
export function visibleImage(ex: Exchange, refText: string): LibraryImageRow | null {
  const ref = parseImageRef(refText);
  if (!ref) {
    fail(ex, 404, `image ${refText} not found: a reference is entity/collection/container:tag`);
    return null;
  }
  const container = visibleContainer(ex, ref.entity, ref.collection, ref.container);
  if (!container) return null;
  const arch = ex.query.get('arch') || DEFAULT_ARCH;
  const image = ex.ctx.state.resolve(container, ref.tag, arch);
  if (!image) {
    const other = ex.ctx.state.imagesOf(container).some((i) => ex.ctx.state.tagsOf(i).includes(ref.tag) || i.hash === ref.tag);
    fail(
      ex,
      404,
      other
        ? `image ${ref.entity}/${ref.collection}/${ref.container}:${ref.tag} not found for arch ${arch}`
        : `image ${ref.entity}/${ref.collection}/${ref.container}:${ref.tag} not found`,
    );
    return null;
  }
  return image;
}

export function getImage(ex: Exchange, refText: string) {
  const image = visibleImage(ex, refText);
  if (image) sendData(ex.res, imageJson(ex.ctx.state, image));
}

/** GET /v1/tags/<containerId> (tag → image id) and /v2/tags/<containerId> (arch → tag → image id). */
export function getTags(ex: Exchange, containerId: string, v2: boolean) {
  const viewer = reader(ex);
  if (viewer === null) return;
  const collection = ex.ctx.state.collections.get(containerId);
  if (collection && ex.ctx.settings.flavour === 'registry-server' && !v2) {
    // there the "container id" is the collection's: its tags are every container's, as tag → image
    if (!canSee(ex, viewer, collection)) return fail(ex, 404, `collection ${containerId} not found`);
    const tags: Record<string, string> = {};
    for (const n of ex.ctx.state.containersOf(collection)) Object.assign(tags, n.imageTags);
    return sendData(ex.res, tags);
  }
  const container = ex.ctx.state.containers.get(containerId);
  if (!container || !canSee(ex, viewer, ex.ctx.state.parents(container).collection))
    return fail(ex, 404, `container ${containerId} not found`);
  const json = containerJson(ex.ctx.state, container);
  sendData(ex.res, v2 ? json.archTags : json.imageTags);
}
