// Putting containers into the fake registry without going through push: initial seed and handle.addContainer.

import { join } from 'node:path';
import type { ServerContext } from './exchange';
import { ingest, placeFile, sourceStream } from './files';
import { downloadUrl } from './serialize';
import type { ContainerRow } from './state';
import type { AddContainerInput, ContainerInfo, SeedCollection } from './types';

export async function addContainer(ctx: ServerContext, input: AddContainerInput): Promise<ContainerInfo> {
  const { state, settings } = ctx;
  const coll =
    state.collectionByName(input.collection) ?? state.createCollection(input.collection, { private: input.private, owners: input.owners });
  const tag = input.tag ?? 'latest';
  const file = await ingest(sourceStream(input.file, `${coll.name}/${input.name}:${tag}\n`), join(settings.dataDir, '_upload'));
  const path = await placeFile(file.path, settings.dataDir, coll.name, input.name, tag, file.md5);
  const existing = state.findContainers({ collectionId: coll.id, name: input.name, tag })[0];
  if (existing) await state.removeContainer(existing);
  const row = state.insertContainer({
    collectionId: coll.id,
    name: input.name,
    tag,
    version: file.md5,
    frozen: input.frozen ?? false,
    path,
    size: file.size,
    metadata: { ...(input.metadata ?? {}) },
    getLimit: input.getLimit,
  });
  return containerInfo(ctx, row);
}

export async function seedCollections(ctx: ServerContext, seed: SeedCollection[]): Promise<void> {
  for (const c of seed) {
    if (!ctx.state.collectionByName(c.name)) {
      ctx.state.createCollection(c.name, { private: c.private, owners: c.owners, contributors: c.contributors, getLimit: c.getLimit });
    }
    for (const container of c.containers ?? []) await addContainer(ctx, { ...container, collection: c.name });
  }
}

export function containerInfo(ctx: ServerContext, row: ContainerRow): ContainerInfo {
  const coll = ctx.state.collectionOf(row);
  return {
    id: row.id,
    collection: coll.name,
    name: row.name,
    tag: row.tag,
    version: row.version,
    frozen: row.frozen,
    private: coll.private,
    path: row.path,
    size: row.size,
    getCount: row.getCount,
    metadata: { ...row.metadata },
    image: downloadUrl(ctx.settings, coll, row),
  };
}
