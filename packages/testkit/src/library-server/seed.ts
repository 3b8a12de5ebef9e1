// Seeding helpers behind the handle's addEntity/addCollection/addContainer/addImage: a test states what the
// library holds, missing parents are created on the way (an entity is owned by the user of its name).
import { join } from 'node:path';
import type { ServerContext } from './context';
import { seedFile } from './files';
import { isName, parseSeedRef } from './refs';
import { DEFAULT_ARCH } from './state';
import type {
  LibraryCollectionRow,
  LibraryContainerRow,
  LibraryEntityRow,
  LibraryImageRow,
  LibrarySeedCollection,
  LibrarySeedContainer,
  LibrarySeedEntity,
  LibrarySeedImage,
} from './types';

function checkName(kind: string, name: string): void {
  if (!isName(name))
    throw new Error(`library-server seed: ${kind} name must be lowercase [a-z0-9]+([._-][a-z0-9]+)*, got ${JSON.stringify(name)}`);
}

export function addEntity(ctx: ServerContext, seed: LibrarySeedEntity): LibraryEntityRow {
  checkName('entity', seed.name);
  const { state } = ctx;
  const existing = state.entityByName(seed.name);
  if (existing) return existing;
  const row: LibraryEntityRow = {
    id: state.newId(),
    name: seed.name,
    owner: seed.owner ?? seed.name,
    description: seed.name,
    defaultPrivate: seed.defaultPrivate ?? false,
    createdAt: state.now(),
  };
  state.entities.set(row.id, row);
  return row;
}

export function addCollection(ctx: ServerContext, seed: LibrarySeedCollection): LibraryCollectionRow {
  checkName('collection', seed.name);
  const { state } = ctx;
  const entity = addEntity(ctx, { name: seed.entity });
  const existing = state.collectionByName(entity, seed.name);
  if (existing) {
    if (seed.private !== undefined) existing.private = seed.private;
    return existing;
  }
  const row: LibraryCollectionRow = {
    id: state.newId(),
    name: seed.name,
    entityId: entity.id,
    private: seed.private ?? entity.defaultPrivate,
    description: `${seed.name} Collection`,
    createdAt: state.now(),
  };
  state.collections.set(row.id, row);
  return row;
}

export function addContainer(ctx: ServerContext, seed: LibrarySeedContainer & { private?: boolean }): LibraryContainerRow {
  checkName('container', seed.name);
  const { state } = ctx;
  const collection = addCollection(ctx, { entity: seed.entity, name: seed.collection, private: seed.private });
  const existing = state.containerByName(collection, seed.name);
  if (existing) return existing;
  const row: LibraryContainerRow = {
    id: state.newId(),
    name: seed.name,
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

export async function addImage(ctx: ServerContext, seed: LibrarySeedImage): Promise<LibraryImageRow> {
  const ref = parseSeedRef(seed.ref);
  const arch = seed.arch ?? DEFAULT_ARCH;
  const container = addContainer(ctx, { entity: ref.entity, collection: ref.collection, name: ref.container, private: seed.private });
  const { state } = ctx;
  const file = await seedFile(seed.file, join(ctx.dataDir, 'seed'), seed.ref);
  const hash = `sha256.${file.sha256}`;
  let image = state.imagesOf(container).find((i) => i.hash === hash && i.arch === arch);
  if (!image) {
    image = {
      id: state.newId(),
      containerId: container.id,
      hash,
      arch,
      size: file.size,
      uploaded: seed.uploaded ?? true,
      signed: seed.signed ?? false,
      encrypted: seed.encrypted ?? false,
      path: seed.uploaded === false ? undefined : file.path,
      createdAt: state.now(),
    };
    state.images.set(image.id, image);
  }
  for (const tag of ref.tags) {
    state.setTagV2(container, tag, image, arch);
    if (seed.frozen) container.frozenTags.add(tag);
  }
  return image;
}

/** `entity/collection/container` of a handle call, which must exist. */
export function containerOf(ctx: ServerContext, ref: string): LibraryContainerRow {
  const [entity, collection, name] = ref.split('/');
  const found = ctx.state.lookup(entity ?? '', collection, name);
  if (!found.container) throw new Error(`library-server: no container ${ref}`);
  return found.container;
}
