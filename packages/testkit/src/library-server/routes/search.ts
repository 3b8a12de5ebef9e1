// GET /v1/search?value=…[&arch=…][&signed=true]: entities, collections and containers whose name contains the
// value (case-insensitive), and the images of the containers found; private collections only for their owner.
// Off (the Registry Server has no search) it is an unknown route: Django's HTML 404.
import { canSee, owns, reader } from '../auth';
import type { Exchange } from '../context';
import { fail, notFoundHtml, sendData } from '../respond';
import { collectionJson, containerJson, entityJson, imageJson } from '../serialize';

export function search(ex: Exchange) {
  if (!ex.ctx.settings.search) return notFoundHtml(ex.res);
  const viewer = reader(ex);
  if (viewer === null) return;
  const value = (ex.query.get('value') ?? '').trim().toLowerCase();
  const min = ex.ctx.settings.searchMinLength;
  if (value.length < min) return fail(ex, 400, `search value must be at least ${min} characters`);
  const arch = ex.query.get('arch') || undefined;
  const signed = ex.query.get('signed');
  const { state } = ex.ctx;
  const hit = (name: string) => name.toLowerCase().includes(value);
  const entities = [...state.entities.values()].filter((e) => hit(e.name));
  const visible = [...state.collections.values()].filter((c) => canSee(ex, viewer, c));
  const collections = visible.filter((c) => hit(c.name));
  const containers = [...state.containers.values()].filter((n) => hit(n.name) && visible.includes(state.parents(n).collection));
  const images = containers
    .flatMap((n) => state.imagesOf(n))
    .filter((i) => i.uploaded && (!arch || i.arch === arch) && (signed !== 'true' || i.signed));
  sendData(ex.res, {
    entity: entities.map((e) => entityJson(state, e, owns(viewer, e))),
    collection: collections.map((c) => collectionJson(state, c)),
    container: containers.map((n) => containerJson(state, n)),
    image: images.map((i) => imageJson(state, i)),
  });
}
