// POST /v1/entities, /v1/collections, /v1/containers, /v1/images: what a push creates on its way down the
// hierarchy. Each needs a token (401) of the parent entity's owner (403); names follow the library's rules.
import { requireOwner, writer } from '../auth';
import { int, jsonBody, str } from '../body';
import type { Exchange } from '../context';
import { HASH, isName } from '../refs';
import { fail, sendData, sendError, sendJson } from '../respond';
import { collectionJson, containerJson, entityJson, imageJson } from '../serialize';
import { DEFAULT_ARCH } from '../state';

const ARCH = /^[a-z0-9_]{1,32}$/;

export async function createEntity(ex: Exchange): Promise<void> {
  if (!ex.ctx.settings.createEntities)
    return sendJson(ex.res, 405, { detail: 'Method "POST" not allowed.' }, { Allow: 'GET, HEAD, OPTIONS' });
  const viewer = writer(ex);
  if (!viewer) return;
  const body = await jsonBody(ex);
  if (!body) return;
  const name = str(body, 'name');
  if (!name || !isName(name)) return fail(ex, 400, 'entity name must be lowercase letters, digits and . _ -');
  if (!viewer.admin && viewer.owner !== name) return fail(ex, 403, `Forbidden: a token may only create its own entity (${viewer.owner})`);
  const { state } = ex.ctx;
  if (state.entityByName(name)) return fail(ex, 409, `entity ${name} already exists`);
  const row = {
    id: state.newId(),
    name,
    owner: viewer.admin ? name : viewer.owner,
    description: str(body, 'description') ?? name,
    defaultPrivate: body.defaultPrivate === true,
    createdAt: state.now(),
  };
  state.entities.set(row.id, row);
  sendData(ex.res, entityJson(state, row, true));
}

export async function createCollection(ex: Exchange): Promise<void> {
  const viewer = writer(ex, true);
  if (!viewer) return;
  const body = await jsonBody(ex);
  if (!body) return;
  const { state } = ex.ctx;
  const entity = state.entities.get(str(body, 'entity') ?? '');
  if (!entity) return sendError(ex.res, 404, `entity ${String(body.entity)} not found`);
  if (!requireOwner(ex, viewer, entity, true)) return;
  const name = str(body, 'name');
  if (!name || !isName(name)) return sendError(ex.res, 400, 'collection name must be lowercase letters, digits and . _ -');
  if (state.collectionByName(entity, name)) return sendError(ex.res, 409, `collection ${entity.name}/${name} already exists`);
  const row = {
    id: state.newId(),
    name,
    entityId: entity.id,
    private: typeof body.private === 'boolean' ? body.private : entity.defaultPrivate,
    description: str(body, 'description') ?? `${name} Collection`,
    createdAt: state.now(),
  };
  state.collections.set(row.id, row);
  sendData(ex.res, collectionJson(state, row));
}

export async function createContainer(ex: Exchange): Promise<void> {
  const viewer = writer(ex);
  if (!viewer) return;
  const body = await jsonBody(ex);
  if (!body) return;
  const { state } = ex.ctx;
  const collection = state.collections.get(str(body, 'collection') ?? '');
  const entity = collection && state.entities.get(collection.entityId);
  if (!collection || !entity) return fail(ex, 404, `collection ${String(body.collection)} not found`);
  if (!requireOwner(ex, viewer, entity)) return;
  const name = str(body, 'name');
  if (!name || !isName(name)) return fail(ex, 400, 'container name must be lowercase letters, digits and . _ -');
  if (state.containerByName(collection, name)) return fail(ex, 409, `container ${entity.name}/${collection.name}/${name} already exists`);
  const row = {
    id: state.newId(),
    name,
    collectionId: collection.id,
    description: str(body, 'description') ?? '',
    imageTags: {},
    archTags: {},
    frozenTags: new Set<string>(),
    downloadCount: 0,
    createdAt: state.now(),
  };
  state.containers.set(row.id, row);
  sendData(ex.res, containerJson(state, row));
}

export async function createImage(ex: Exchange): Promise<void> {
  const viewer = writer(ex);
  if (!viewer) return;
  const body = await jsonBody(ex);
  if (!body) return;
  const { state } = ex.ctx;
  const container = state.containers.get(str(body, 'container') ?? '');
  if (!container) return fail(ex, 404, `container ${String(body.container)} not found`);
  if (!requireOwner(ex, viewer, state.parents(container).entity)) return;
  const hash = str(body, 'hash');
  if (!hash || !HASH.test(hash)) return fail(ex, 400, 'hash must be sha256.<64 lowercase hex>');
  const arch = str(body, 'arch') ?? DEFAULT_ARCH;
  if (!ARCH.test(arch)) return fail(ex, 400, `bad arch ${JSON.stringify(arch)}`);
  const existing = state.imagesOf(container).find((i) => i.hash === hash && i.arch === arch);
  if (existing) return fail(ex, 409, `image ${hash} (${arch}) already exists in this container`);
  const row = {
    id: state.newId(),
    containerId: container.id,
    hash,
    arch,
    size: int(body, 'size') ?? 0,
    uploaded: false,
    signed: body.signed === true,
    encrypted: body.encrypted === true,
    createdAt: state.now(),
  };
  state.images.set(row.id, row);
  sendData(ex.res, imageJson(state, row));
}
