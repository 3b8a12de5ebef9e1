// The Library API objects as a client reads them (hub-sif-library.md C.1 models, with the bookkeeping fields
// both Sylabs' library and the Registry Server send: deleted, createdAt, …). `viewer` decides whether a
// private collection's containers are listed.
import type { LibraryState } from './state';
import type { LibraryCollectionRow, LibraryContainerRow, LibraryEntityRow, LibraryImageRow } from './types';

const NEVER = '0001-01-01T00:00:00Z';

function common(createdAt: string, createdBy: string) {
  return { deleted: false, createdAt, createdBy, updatedAt: createdAt, updatedBy: createdBy, deletedAt: NEVER, customData: '' };
}

export function entityJson(state: LibraryState, e: LibraryEntityRow, canSeePrivate: boolean) {
  const collections = state.collectionsOf(e).filter((c) => canSeePrivate || !c.private);
  return {
    ...common(e.createdAt, e.owner),
    id: e.id,
    name: e.name,
    description: e.description,
    collections: collections.map((c) => c.id),
    size: collections.length,
    quota: 0,
    defaultPrivate: e.defaultPrivate,
  };
}

export function collectionJson(state: LibraryState, c: LibraryCollectionRow) {
  const entity = state.entities.get(c.entityId) as LibraryEntityRow;
  const containers = state.containersOf(c);
  return {
    ...common(c.createdAt, entity.owner),
    id: c.id,
    name: c.name,
    description: c.description,
    entity: entity.id,
    entityName: entity.name,
    containers: containers.map((n) => n.id),
    size: containers.length,
    private: c.private,
    owner: entity.owner,
  };
}

export function containerJson(state: LibraryState, n: LibraryContainerRow) {
  const { collection, entity } = state.parents(n);
  const archTags: Record<string, Record<string, string>> = {};
  for (const [arch, byTag] of Object.entries(n.archTags)) if (Object.keys(byTag).length > 0) archTags[arch] = { ...byTag };
  return {
    ...common(n.createdAt, entity.owner),
    id: n.id,
    name: n.name,
    description: n.description,
    fullDescription: '',
    collection: collection.id,
    collectionName: collection.name,
    entity: entity.id,
    entityName: entity.name,
    images: state.imagesOf(n).map((i) => i.id),
    imageTags: { ...n.imageTags },
    archTags,
    private: collection.private,
    readOnly: false,
    downloadCount: n.downloadCount,
    stars: 0,
  };
}

export function imageJson(state: LibraryState, i: LibraryImageRow) {
  const container = state.containers.get(i.containerId) as LibraryContainerRow;
  const { collection, entity } = state.parents(container);
  return {
    ...common(i.createdAt, entity.owner),
    id: i.id,
    hash: i.hash,
    description: '',
    container: container.id,
    containerName: container.name,
    collection: collection.id,
    collectionName: collection.name,
    entity: entity.id,
    entityName: entity.name,
    size: i.size,
    uploaded: i.uploaded,
    signed: i.signed,
    encrypted: i.encrypted,
    arch: i.arch,
    fingerprints: [],
    tags: state.tagsOf(i),
    containerStars: 0,
    containerDownloads: container.downloadCount,
  };
}
