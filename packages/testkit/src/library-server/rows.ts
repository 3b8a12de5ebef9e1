// The Library server's stored rows and tokens: the types state.ts keeps and the handle hands out.

export interface LibraryToken {
  token: string;
  /** Username (= entity name) the token belongs to. */
  owner: string;
  /** May create any entity, and acts as the owner of every entity. */
  admin?: boolean;
}

export interface LibraryEntityRow {
  id: string;
  name: string;
  owner: string;
  description: string;
  defaultPrivate: boolean;
  createdAt: string;
}

export interface LibraryCollectionRow {
  id: string;
  name: string;
  entityId: string;
  private: boolean;
  description: string;
  createdAt: string;
}

export interface LibraryContainerRow {
  id: string;
  name: string;
  collectionId: string;
  description: string;
  /** tag → image id (the legacy, arch-less view; v1 tags). */
  imageTags: Record<string, string>;
  /** arch → tag → image id. */
  archTags: Record<string, Record<string, string>>;
  /** Tags that refuse to move (400). */
  frozenTags: Set<string>;
  downloadCount: number;
  createdAt: string;
}

export interface LibraryImageRow {
  id: string;
  containerId: string;
  /** `sha256.<hex>` */
  hash: string;
  arch: string;
  size: number;
  uploaded: boolean;
  signed: boolean;
  encrypted: boolean;
  /** The file once uploaded (seeded images point at the seed file in place). */
  path?: string;
  createdAt: string;
}
