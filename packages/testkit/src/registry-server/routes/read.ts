// The native read API (registry-api.md §1.1): lists, lookups and searches, with the server's privacy quirks —
// lists hide private collections, the name lookup answers `{}` / 500, container search leaks private rows.
import type { Exchange } from '../exchange';
import { paginate } from '../pagination';
import { sendJson, serverErrorHtml } from '../respond';
import { collectionItem, containerListItem } from '../serialize';
import type { ContainerRow } from '../state';

function publicCollections(ex: Exchange) {
  return [...ex.ctx.state.collections.values()].filter((c) => !c.private).sort((a, b) => a.id - b.id);
}

const NOT_FOUND = { detail: 'Not found.' };

export function listCollections(ex: Exchange): void {
  const { state, settings } = ex.ctx;
  const page = paginate(ex, publicCollections(ex));
  sendJson(ex, 200, { ...page, results: page.results.map((c) => collectionItem(state, settings, c)) });
}

export function getCollectionById(ex: Exchange, id: string) {
  const coll = ex.ctx.state.collections.get(Number(id));
  if (!coll || coll.private) return sendJson(ex, 404, NOT_FOUND);
  sendJson(ex, 200, collectionItem(ex.ctx.state, ex.ctx.settings, coll));
}

function publicContainers(ex: Exchange): ContainerRow[] {
  const { state } = ex.ctx;
  return [...state.containers.values()].filter((c) => !state.collectionOf(c).private).sort((a, b) => a.id - b.id);
}

export function listContainers(ex: Exchange): void {
  const { state, settings } = ex.ctx;
  const page = paginate(ex, publicContainers(ex));
  sendJson(ex, 200, { ...page, results: page.results.map((c) => containerListItem(state, settings, c)) });
}

export function getContainerById(ex: Exchange, id: string) {
  const { state, settings } = ex.ctx;
  const row = state.containers.get(Number(id));
  if (!row || state.collectionOf(row).private) return sendJson(ex, 404, NOT_FOUND);
  sendJson(ex, 200, containerListItem(state, settings, row));
}

/** `GET /api/collection/<name>`: lower-cased lookup; missing → 200 `{}`; private → 500 (the view returns nothing). */
export function getCollectionByName(ex: Exchange, name: string) {
  const coll = ex.ctx.state.collectionByName(name.toLowerCase());
  if (!coll) return sendJson(ex, 200, {});
  if (coll.private) return serverErrorHtml(ex);
  sendJson(ex, 200, collectionItem(ex.ctx.state, ex.ctx.settings, coll));
}

/** Broken in 2.1.2: it serializes a queryset as one object, so always 500. */
export function searchCollections(ex: Exchange): void {
  serverErrorHtml(ex);
}

/** Container search: plain arrays, exact matches, names lower-cased, and NOT filtered by privacy. */
export function searchContainers(ex: Exchange, q: { collection?: string; name: string; tag?: string }): void {
  const { state, settings } = ex.ctx;
  const name = q.name.toLowerCase();
  const collection = q.collection?.toLowerCase();
  const rows = [...state.containers.values()]
    .filter((c) => c.name === name && (q.tag === undefined || c.tag === q.tag))
    .filter((c) => collection === undefined || state.collectionOf(c).name === collection)
    .sort((a, b) => a.id - b.id);
  sendJson(
    ex,
    200,
    rows.map((c) => containerListItem(state, settings, c)),
  );
}

export function searchLabels(ex: Exchange, q: { key?: string; value?: string }): void {
  const labels = ex.ctx.settings.labels.filter(
    (l) => (q.key === undefined || l.key === q.key) && (q.value === undefined || l.value === q.value),
  );
  sendJson(
    ex,
    200,
    labels.map((l) => ({ key: l.key, value: l.value, containers: [...l.containers] })),
  );
}

export function identity(ex: Exchange): void {
  const { settings } = ex.ctx;
  sendJson(ex, 200, { name: settings.registryName, id: settings.registryUri, url: settings.domain });
}
