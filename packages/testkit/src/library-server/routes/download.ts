// GET /v1/imagefile/<ref>?arch=: the file itself (200, ranges honoured) or a 303 (Sylabs Cloud) / 302
// (Registry Server) to a presigned object-host URL that accepts Range requests.
import type { Exchange } from '../context';
import { imageEtag, presignGet } from '../object-key';
import { fail, sendEmpty } from '../respond';
import { serveFile } from '../serve-file';
import { visibleImage } from './read';
import { isRegistryServer, pullImage } from './registry-server';

export async function downloadImage(ex: Exchange, refText: string): Promise<void> {
  const image = isRegistryServer(ex) ? pullImage(ex, refText, true) : visibleImage(ex, refText);
  if (!image) return;
  if (!image.uploaded || !image.path) return fail(ex, 404, `image ${image.hash} has no uploaded file`);
  const container = ex.ctx.state.containers.get(image.containerId);
  if (container && ex.method === 'GET') container.downloadCount += 1;
  const mode = ex.ctx.settings.download;
  if (mode === 'direct') return serveFile(ex.req, ex.res, { path: image.path, size: image.size, etag: imageEtag(image) }, ex.ctx.faults);
  sendEmpty(ex.res, mode, { Location: presignGet(ex.ctx, image) });
}
