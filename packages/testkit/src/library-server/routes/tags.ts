// POST /v1/tags/<containerId> `{"Tag","ImageID"}` and POST /v2/tags/<containerId> `{"Arch","Tag","ImageID"}`.
// A frozen tag refuses to move with the Registry Server's 400 `{"message":"This tag exists, and is frozen."}`.
import { requireOwner, writer } from '../auth';
import { jsonBody, str } from '../body';
import type { Exchange } from '../context';
import { HASH } from '../refs';
import { sendData, sendError, sendJson } from '../respond';

export const FROZEN_MESSAGE = 'This tag exists, and is frozen.';

export async function setTag(ex: Exchange, containerId: string, v2: boolean): Promise<void> {
  const viewer = writer(ex);
  if (!viewer) return;
  const body = await jsonBody(ex);
  if (!body) return;
  const { state } = ex.ctx;
  const container = state.containers.get(containerId);
  if (!container) return sendError(ex.res, 404, `container ${containerId} not found`);
  if (!requireOwner(ex, viewer, state.parents(container).entity)) return;
  const tag = str(body, 'Tag');
  const image = state.images.get(str(body, 'ImageID') ?? '');
  if (!tag || !/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag) || HASH.test(tag)) return sendError(ex.res, 400, 'Tag must be a tag name');
  if (!image || image.containerId !== container.id)
    return sendError(ex.res, 404, `image ${String(body.ImageID)} not found in this container`);
  const arch = v2 ? (str(body, 'Arch') ?? image.arch) : image.arch;
  if (v2 && arch !== image.arch) return sendError(ex.res, 400, `image ${image.id} is ${image.arch}, not ${arch}`);
  if (container.frozenTags.has(tag)) {
    const current = v2 ? container.archTags[arch]?.[tag] : container.imageTags[tag];
    if (current !== image.id) return sendJson(ex.res, 400, { message: FROZEN_MESSAGE });
  }
  if (v2) state.setTagV2(container, tag, image, arch);
  else state.setTagV1(container, tag, image);
  sendData(ex.res, v2 ? container.archTags : container.imageTags);
}
