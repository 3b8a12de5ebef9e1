// The JSON shapes the server sends, with its exact key order (registry-api.md §1.1, observed).
import { formatServerDate } from './dates';
import type { Settings } from './exchange';
import { containerUri } from './names';
import type { CollectionRow, ContainerRow, RegistryState } from './state';

/** Keys the ContainerDetail serializer removes from metadata; every other internal key leaks through. */
const HIDDEN_METADATA = ['build_metadata', 'builder', 'build_finish', 'image'];

export function uriOf(state: RegistryState, c: ContainerRow): string {
  return containerUri(state.collectionOf(c).name, c.name, c.tag, c.frozen, c.version);
}

export function downloadUrl(settings: Settings, coll: CollectionRow, c: ContainerRow): string {
  return `${settings.domain}/containers/${c.id}/download/${coll.secret}`;
}

/** List, search and `/api/containers/<id>/` items: no `image` key. */
export function containerListItem(state: RegistryState, settings: Settings, c: ContainerRow): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    tag: c.tag,
    add_date: formatServerDate(c.addDate, settings.timeZone),
    metrics: {},
    version: c.version,
    frozen: c.frozen,
    metadata: c.metadata,
    collection: state.collectionOf(c).name,
  };
}

/** `GET /api/container/<c>/<n>:<t>`: like the list item plus `image`, second in order. */
export function containerDetail(state: RegistryState, settings: Settings, c: ContainerRow): Record<string, unknown> {
  const coll = state.collectionOf(c);
  const metadata = Object.fromEntries(Object.entries(c.metadata).filter(([k]) => !HIDDEN_METADATA.includes(k)));
  return {
    id: c.id,
    name: c.name,
    image: downloadUrl(settings, coll, c),
    tag: c.tag,
    add_date: formatServerDate(c.addDate, settings.timeZone),
    metrics: {},
    version: c.version,
    frozen: c.frozen,
    metadata,
    collection: coll.name,
  };
}

/** CollectionItem; `detail` is the HTML page of the container, not an API URL. */
export function collectionItem(state: RegistryState, settings: Settings, coll: CollectionRow): Record<string, unknown> {
  return {
    id: coll.id,
    name: coll.name,
    add_date: formatServerDate(coll.addDate, settings.timeZone),
    modify_date: formatServerDate(coll.modifyDate, settings.timeZone),
    metadata: coll.metadata,
    containers: state.containersOf(coll.id).map((c) => ({
      name: c.name,
      tag: c.tag,
      uri: uriOf(state, c),
      detail: `${settings.domain}/containers/${c.id}`,
    })),
  };
}
