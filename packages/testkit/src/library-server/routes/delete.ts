// DELETE /v1/images/<ref>?arch=: removes the image and the tags that pointed at it, for the owner only; an image
// behind a frozen tag stays (400). Where the server does not offer delete (a switch), 405.
import { rm } from 'node:fs/promises';
import { requireOwner, writer } from '../auth';
import type { Exchange } from '../context';
import { ownedBy } from '../files';
import { fail, sendData, sendJson } from '../respond';
import { imageJson } from '../serialize';
import { visibleImage } from './read';

export async function deleteImage(ex: Exchange, refText: string): Promise<void> {
  if (!ex.ctx.settings.delete) return sendJson(ex.res, 405, { detail: 'Method "DELETE" not allowed.' }, { Allow: 'GET, HEAD, OPTIONS' });
  const viewer = writer(ex);
  if (!viewer) return;
  const image = visibleImage(ex, refText);
  if (!image) return;
  const { state } = ex.ctx;
  const container = state.containers.get(image.containerId);
  if (!container || !requireOwner(ex, viewer, state.parents(container).entity)) return;
  const frozen = state.tagsOf(image).filter((t) => container.frozenTags.has(t));
  if (frozen.length > 0) return fail(ex, 400, `image is tagged ${frozen.join(', ')}, which is frozen: it cannot be deleted`);
  const json = imageJson(state, image);
  state.removeImage(image);
  if (ownedBy(ex.ctx.dataDir, image.path)) await rm(image.path, { force: true });
  sendData(ex.res, json);
}
