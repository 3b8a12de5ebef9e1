// Singularity Registry Server 2.1.2's answers where they differ from the Library API as Sylabs documents it
// (registry-api.md §1.5 and §2.4, observed there unless noted), for the 'registry-server' flavour. Failures are
// bare statuses (fail() sends no body in this flavour).
import { owns, viewerOf } from '../auth';
import type { Exchange } from '../context';
import { HASH, parseImageRef, parseLooseRef } from '../refs';
import { fail, sendData, sendEmpty } from '../respond';
import { collectionJson, containerJson, entityJson, imageJson } from '../serialize';
import { DEFAULT_ARCH } from '../state';
import type { LibraryCollectionRow, LibraryContainerRow, LibraryImageRow, LibraryToken } from '../types';

export function isRegistryServer(ex: Exchange): boolean {
  return ex.ctx.settings.flavour === 'registry-server';
}

/** Its image object: no `uploaded` field (so clients always upload) and no byte size (size_mb is never filled). */
export function registryImageJson(ex: Exchange, image: LibraryImageRow) {
  const { uploaded: _uploaded, ...json } = imageJson(ex.ctx.state, image);
  return { ...json, size: null };
}

function token(ex: Exchange): LibraryToken | undefined {
  const v = viewerOf(ex);
  return v === 'invalid' ? undefined : v;
}

/** GET /v1/entities/<name>: only the token's own user; anything else (no token included) is 404. */
export function getEntity(ex: Exchange, name: string) {
  const viewer = token(ex);
  const entity = ex.ctx.state.entityByName(name);
  if (!viewer || !entity || !owns(viewer, entity)) return fail(ex, 404, 'not found');
  sendData(ex.res, entityJson(ex.ctx.state, entity, true));
}

/** The owned collection of a read, or null after answering: 403 without a valid token, 404 missing or not owned. */
function ownedCollection(ex: Exchange, entity: string, collection: string, notOwned: 403 | 404): LibraryCollectionRow | null {
  const viewer = token(ex);
  if (!viewer) {
    fail(ex, 403, 'forbidden');
    return null;
  }
  const found = ex.ctx.state.lookup(entity, collection);
  if (!found.entity || !found.collection) {
    fail(ex, 404, 'not found');
    return null;
  }
  if (!owns(viewer, found.entity)) {
    fail(ex, notOwned, 'not an owner');
    return null;
  }
  return found.collection;
}

export function getCollection(ex: Exchange, entity: string, collection: string) {
  const row = ownedCollection(ex, entity, collection, 404);
  if (row) sendData(ex.res, collectionJson(ex.ctx.state, row));
}

/**
 * GET /v1/containers/<e>/<c>/<n>: answered even when the container does not exist, and `data.id` is the
 * *collection's* id (clients post tags to it). A missing container is created here, empty, so the image GET
 * that follows can place its image in it, as the server's placeholder rows do.
 */
export function getContainer(ex: Exchange, entity: string, collection: string, name: string) {
  const coll = ownedCollection(ex, entity, collection, 403);
  if (!coll) return;
  const container = ensureContainer(ex, coll, name);
  sendData(ex.res, { ...containerJson(ex.ctx.state, container), id: coll.id, collection: coll.id, downloadCount: null });
}

function ensureContainer(ex: Exchange, collection: LibraryCollectionRow, name: string): LibraryContainerRow {
  const { state } = ex.ctx;
  const existing = state.containerByName(collection, name);
  if (existing) return existing;
  const row: LibraryContainerRow = {
    id: state.newId(),
    name,
    collectionId: collection.id,
    description: '',
    imageTags: {},
    archTags: {},
    frozenTags: new Set(),
    downloadCount: 0,
    createdAt: state.now(),
  };
  state.containers.set(row.id, row);
  return row;
}

/**
 * GET /v1/images/<ref>: a three-part ref pinned to `sha256.<hex>` is the push's lookup — owners only (403), and
 * it creates the image (not uploaded) when missing. Other refs are pulls: only amd64 images are found; a
 * private one is 404 to non-members and 500 without a token (from the code).
 */
export function getImage(ex: Exchange, refText: string) {
  const ref = parseImageRef(refText);
  const { state } = ex.ctx;
  if (ref && HASH.test(ref.tag)) {
    const coll = ownedCollection(ex, ref.entity, ref.collection, 403);
    if (!coll) return;
    const container = ensureContainer(ex, coll, ref.container);
    const arch = ex.query.get('arch') || DEFAULT_ARCH;
    let image = state.imagesOf(container).find((i) => i.hash === ref.tag);
    if (!image) {
      image = {
        id: state.newId(),
        containerId: container.id,
        hash: ref.tag,
        arch,
        size: 0,
        uploaded: false,
        signed: false,
        encrypted: false,
        createdAt: state.now(),
      };
      state.images.set(image.id, image);
    }
    return sendData(ex.res, registryImageJson(ex, image));
  }
  const image = pullImage(ex, refText, false);
  if (image) sendData(ex.res, registryImageJson(ex, image));
}

/**
 * The image a pull names there: the entity part is ignored (collection names are unique on that server), a
 * one-part `name:sha256.<hex>` is matched by hash, and only amd64 images are found. A private collection is
 * 404 to non-members; without a token the image GET is a 500 (from the code), the file GET a 404.
 */
export function pullImage(ex: Exchange, refText: string, file: boolean): LibraryImageRow | null {
  const ref = parseLooseRef(refText);
  const { state } = ex.ctx;
  let image: LibraryImageRow | undefined;
  let collection: LibraryCollectionRow | undefined;
  if (ref && ref.parts.length === 1) {
    image = [...state.images.values()].find((i) => i.hash === ref.tag && i.arch === DEFAULT_ARCH);
    collection = image && state.parents(state.containers.get(image.containerId) as LibraryContainerRow).collection;
  } else if (ref) {
    const [collName, name] = ref.parts.slice(-2) as [string, string];
    collection = [...state.collections.values()].find((c) => c.name === collName);
    const container = collection && state.containerByName(collection, name);
    image = container && state.resolve(container, ref.tag, DEFAULT_ARCH);
  }
  if (!image || !collection) {
    fail(ex, 404, 'not found');
    return null;
  }
  if (collection.private) {
    const viewer = viewerOf(ex);
    const entity = state.entities.get(collection.entityId);
    if (viewer === undefined && !file) {
      sendEmpty(ex.res, 500);
      return null;
    }
    if (viewer === undefined || viewer === 'invalid' || !entity || !owns(viewer, entity)) {
      fail(ex, 404, 'not found');
      return null;
    }
  }
  return image;
}

/** POST /v1/containers and /v1/images exist only for GET there: Django REST framework's 405. */
export function notAllowed(ex: Exchange) {
  ex.req.resume();
  ex.res.writeHead(405, { 'Content-Type': 'application/json', Allow: 'GET, HEAD, OPTIONS' });
  ex.res.end(JSON.stringify({ detail: `Method "${ex.method}" not allowed.` }));
}
