// The fake server's "database": users, collections and containers with the server's id, uniqueness and
// replacement rules (registry-api.md §3). Rows are plain objects; routes read and mutate them directly.
import { randomBytes, randomUUID } from 'node:crypto';
import { nowMicros } from './dates';
import { removeFile } from './files';
import type { RegistryUser } from './types';

export interface CollectionRow {
  id: number;
  name: string;
  /** uuid4; the download credential, never rotated. */
  secret: string;
  private: boolean;
  owners: string[];
  contributors: string[];
  getCount: number;
  getLimit: number;
  addDate: number;
  modifyDate: number;
  metadata: Record<string, unknown>;
}

export interface ContainerRow {
  id: number;
  collectionId: number;
  name: string;
  tag: string;
  version: string | null;
  frozen: boolean;
  path: string | null;
  size: number;
  metadata: Record<string, unknown>;
  /** auto_now: changes on every save, the download counter included. */
  addDate: number;
  getCount: number;
  getLimit: number;
}

export interface StateLimits {
  containerGetLimit: number;
  collectionGetLimit: number;
}

export function randomToken(): string {
  return randomBytes(20).toString('hex');
}

export class RegistryState {
  readonly users: RegistryUser[] = [];
  readonly collections = new Map<number, CollectionRow>();
  readonly containers = new Map<number, ContainerRow>();
  // Autoincrement ids are never reused, which is why a replaced container's old URL stays dead.
  private nextCollectionId = 1;
  private nextContainerId = 1;

  constructor(readonly limits: StateLimits) {}

  addUser(user: Partial<RegistryUser> & { username: string }): RegistryUser {
    const row: RegistryUser = { ...user, username: user.username.toLowerCase(), token: user.token ?? randomToken() };
    const existing = this.users.findIndex((u) => u.username === row.username);
    if (existing >= 0) this.users[existing] = row;
    else this.users.push(row);
    return row;
  }

  user(username: string | undefined): RegistryUser | undefined {
    return username === undefined ? undefined : this.users.find((u) => u.username === username);
  }

  collectionByName(name: string): CollectionRow | undefined {
    for (const c of this.collections.values()) if (c.name === name) return c;
    return undefined;
  }

  createCollection(
    name: string,
    init: Partial<Pick<CollectionRow, 'private' | 'owners' | 'contributors' | 'getLimit'>> = {},
  ): CollectionRow {
    if (this.collectionByName(name)) throw new Error(`collection ${name} already exists`);
    const now = nowMicros();
    const row: CollectionRow = {
      id: this.nextCollectionId++,
      name,
      secret: randomUUID(),
      private: init.private ?? false,
      owners: [...(init.owners ?? [])],
      contributors: [...(init.contributors ?? [])],
      getCount: 0,
      getLimit: init.getLimit ?? this.limits.collectionGetLimit,
      addDate: now,
      modifyDate: now,
      metadata: {},
    };
    this.collections.set(row.id, row);
    return row;
  }

  collectionOf(container: ContainerRow): CollectionRow {
    const c = this.collections.get(container.collectionId);
    if (!c) throw new Error(`container ${container.id} has no collection`);
    return c;
  }

  containersOf(collectionId: number): ContainerRow[] {
    return [...this.containers.values()].filter((c) => c.collectionId === collectionId).sort((a, b) => a.id - b.id);
  }

  findContainers(filter: Partial<Pick<ContainerRow, 'collectionId' | 'name' | 'tag' | 'version'>>): ContainerRow[] {
    return [...this.containers.values()]
      .filter((c) => Object.entries(filter).every(([k, v]) => c[k as keyof ContainerRow] === v))
      .sort((a, b) => a.id - b.id);
  }

  /** Inserts a row; the caller has already dealt with an existing (collection, name, tag). */
  insertContainer(init: Omit<ContainerRow, 'id' | 'addDate' | 'getCount' | 'getLimit'> & { getLimit?: number }): ContainerRow {
    if (this.findContainers({ collectionId: init.collectionId, name: init.name, tag: init.tag }).length > 0) {
      throw new Error(`UNIQUE constraint failed: ${init.name}:${init.tag}`);
    }
    const row: ContainerRow = {
      ...init,
      id: this.nextContainerId++,
      addDate: nowMicros(),
      getCount: 0,
      getLimit: init.getLimit ?? this.limits.containerGetLimit,
    };
    this.containers.set(row.id, row);
    return row;
  }

  /** Deletes the row, and its file unless another container still uses it. */
  async removeContainer(row: ContainerRow): Promise<void> {
    this.containers.delete(row.id);
    if (row.path && ![...this.containers.values()].some((c) => c.path === row.path)) await removeFile(row.path);
  }

  isOwner(user: RegistryUser, coll: CollectionRow): boolean {
    return coll.owners.includes(user.username);
  }

  /** Private pull: owners, contributors, staff and superusers (§2.4). */
  mayPull(user: RegistryUser, coll: CollectionRow): boolean {
    return !!(user.staff || user.superuser || this.isOwner(user, coll) || coll.contributors.includes(user.username));
  }
}
