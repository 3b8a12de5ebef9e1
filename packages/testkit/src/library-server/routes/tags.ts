// POST /v1/tags/<containerId> `{"Tag","ImageID"}` and POST /v2/tags/<containerId> `{"Arch","Tag","ImageID"}`.
// A frozen tag refuses to move with the Registry Server's 400 `{"message":"This tag exists, and is frozen."}`.
import { requireOwner, writer } from '../auth';
import { jsonBody, str } from '../body';
import type { Exchange } from '../context';
import { HASH } from '../refs';
import { fail, sendData, sendEmpty, sendJson } from '../respond';
import { isRegistryServer } from './registry-server';

export const FROZEN_MESSAGE = 'This tag exists, and is frozen.';

export async function setTag(ex: Exchange, containerId: string, v2: boolean): Promise<void> {
  const viewer = writer(ex);
  if (!viewer) return;
  const body = await jsonBody(ex);
  if (!body) return;
  const { state } = ex.ctx;
  const image = state.images.get(str(body, 'ImageID') ?? '');
  // The Registry Server hands out the collection's id as the container's, so its tags come to /v1/tags/<collection id>.
  const container =
    state.containers.get(containerId) ??
    (isRegistryServer(ex) && image && state.collections.has(containerId) ? state.containers.get(image.containerId) : undefined);
  if (!container || (!state.containers.has(containerId) && state.parents(container).collection.id !== containerId))
    return fail(ex, 404, `container ${containerId} not found`);
  if (!requireOwner(ex, viewer, state.parents(container).entity)) return;
  const tag = str(body, 'Tag');
  if (!tag || !/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag) || HASH.test(tag)) return fail(ex, 400, 'Tag must be a tag name');
  if (!image || image.containerId !== container.id) return fail(ex, 404, `image ${String(body.ImageID)} not found in this container`);
  const arch = v2 ? (str(body, 'Arch') ?? image.arch) : image.arch;
  if (v2 && arch !== image.arch) return fail(ex, 400, `image ${image.id} is ${image.arch}, not ${arch}`);
  if (container.frozenTags.has(tag)) {
    const current = v2 ? container.archTags[arch]?.[tag] : container.imageTags[tag];
    if (current !== image.id) return sendJson(ex.res, 400, { message: FROZEN_MESSAGE });
  }
  if (v2) state.setTagV2(container, tag, image, arch);
  else state.setTagV1(container, tag, image);
  // the Registry Server answers 200 with an empty body
  if (isRegistryServer(ex)) return sendEmpty(ex.res, 200);
  sendData(ex.res, v2 ? container.archTags : container.imageTags);
}
