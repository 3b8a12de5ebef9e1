// The library's rows (entities → collections → containers → images, tags on containers) and tokens, with the
// lookups the routes share. Ids are 24 hex digits, like the MongoDB ids Sylabs' library hands out.
import type { LibraryCollectionRow, LibraryContainerRow, LibraryEntityRow, LibraryImageRow, LibraryToken } from './rows';

export const DEFAULT_ARCH = 'amd64';

export class LibraryState {
  readonly tokens = new Map<string, LibraryToken>();
  readonly entities = new Map<string, LibraryEntityRow>();
  readonly collections = new Map<string, LibraryCollectionRow>();
  readonly containers = new Map<string, LibraryContainerRow>();
  readonly images = new Map<string, LibraryImageRow>();
  private nextId = 1;

  newId(): string {
    return `5e1b${(this.nextId++).toString(16).padStart(20, '0')}`;
  }

  now(): string {
    return new Date().toISOString();
  }

  entityByName(name: string): LibraryEntityRow | undefined {
    for (const e of this.entities.values()) if (e.name === name) return e;
    return undefined;
  }

  collectionByName(entity: LibraryEntityRow, name: string): LibraryCollectionRow | undefined {
    for (const c of this.collections.values()) if (c.entityId === entity.id && c.name === name) return c;
    return undefined;
  }

  containerByName(collection: LibraryCollectionRow, name: string): LibraryContainerRow | undefined {
    for (const c of this.containers.values()) if (c.collectionId === collection.id && c.name === name) return c;
    return undefined;
  }

  /** entity/collection/container by names, each level undefined from the first missing one. */
  lookup(entity: string, collection?: string, container?: string) {
    const e = this.entityByName(entity);
    const c = e && collection !== undefined ? this.collectionByName(e, collection) : undefined;
    const n = c && container !== undefined ? this.containerByName(c, container) : undefined;
    return { entity: e, collection: c, container: n };
  }

  collectionsOf(entity: LibraryEntityRow): LibraryCollectionRow[] {
    return [...this.collections.values()].filter((c) => c.entityId === entity.id);
  }

  containersOf(collection: LibraryCollectionRow): LibraryContainerRow[] {
    return [...this.containers.values()].filter((c) => c.collectionId === collection.id);
  }

  imagesOf(container: LibraryContainerRow): LibraryImageRow[] {
    return [...this.images.values()].filter((i) => i.containerId === container.id);
  }

  /** The parents of a container, which always exist while it does. */
  parents(container: LibraryContainerRow): { collection: LibraryCollectionRow; entity: LibraryEntityRow } {
    const collection = this.collections.get(container.collectionId) as LibraryCollectionRow;
    return { collection, entity: this.entities.get(collection.entityId) as LibraryEntityRow };
  }

  /** Every tag (any arch) that points at the image. */
  tagsOf(image: LibraryImageRow): string[] {
    const container = this.containers.get(image.containerId);
    if (!container) return [];
    const tags = new Set<string>();
    for (const [tag, id] of Object.entries(container.imageTags)) if (id === image.id) tags.add(tag);
    for (const byTag of Object.values(container.archTags))
      for (const [tag, id] of Object.entries(byTag)) if (id === image.id) tags.add(tag);
    return [...tags].sort();
  }

  /**
   * The image a tag names for an arch: the arch tag first, then the arch-less v1 tag when that image is of
   * the arch asked for. A `sha256.<hex>` tag is a pin: the container's image with that hash and arch.
   */
  resolve(container: LibraryContainerRow, tag: string, arch: string): LibraryImageRow | undefined {
    if (/^sha256\.[0-9a-f]{64}$/.test(tag)) {
      const matches = this.imagesOf(container).filter((i) => i.hash === tag);
      return matches.find((i) => i.arch === arch) ?? (matches.length === 1 ? matches[0] : undefined);
    }
    const byArch = container.archTags[arch]?.[tag];
    if (byArch) return this.images.get(byArch);
    const legacy = container.imageTags[tag];
    const image = legacy ? this.images.get(legacy) : undefined;
    return image && image.arch === arch ? image : undefined;
  }

  /** v1 tag: the tag moves to the image for every arch (hub-sif-library.md C.1, push step 4). */
  setTagV1(container: LibraryContainerRow, tag: string, image: LibraryImageRow): void {
    container.imageTags[tag] = image.id;
    for (const byTag of Object.values(container.archTags)) delete byTag[tag];
    archTagsOf(container, image.arch)[tag] = image.id;
  }

  /** v2 tag: only the given arch's tag moves; the arch-less view follows for amd64, the legacy default. */
  setTagV2(container: LibraryContainerRow, tag: string, image: LibraryImageRow, arch: string): void {
    archTagsOf(container, arch)[tag] = image.id;
    if (arch === DEFAULT_ARCH || container.imageTags[tag] === undefined) container.imageTags[tag] = image.id;
  }

  /** Removes an image and every tag that pointed at it. */
  removeImage(image: LibraryImageRow): void {
    this.images.delete(image.id);
    const container = this.containers.get(image.containerId);
    if (!container) return;
    for (const [tag, id] of Object.entries(container.imageTags)) if (id === image.id) delete container.imageTags[tag];
    for (const byTag of Object.values(container.archTags))
      for (const [tag, id] of Object.entries(byTag)) if (id === image.id) delete byTag[tag];
  }
}

/** The container's tag map for one arch, created when first needed. */
function archTagsOf(container: LibraryContainerRow, arch: string): Record<string, string> {
  container.archTags[arch] ??= {};
  return container.archTags[arch];
}
