// Object keys on the object host: `/<bucket>/<entity>/<collection>/<container>:sha256.<hex>`, like the Registry
// Server's MinIO keys `<collection>/<name>:<version>` with the entity in front.
import type { ServerContext } from './context';
import type { LibraryImageRow } from './types';

export function objectPath(ctx: ServerContext, image: LibraryImageRow): string {
  const container = ctx.state.containers.get(image.containerId);
  if (!container) throw new Error(`image ${image.id} has no container`);
  const { collection, entity } = ctx.state.parents(container);
  return `/${ctx.bucket}/${entity.name}/${collection.name}/${container.name}:${image.hash}`;
}

/** The ETag an uploaded image is served with (strong, from its hash). */
export function imageEtag(image: LibraryImageRow): string {
  return `"${image.hash.slice('sha256.'.length, 'sha256.'.length + 32)}"`;
}

export function presignGet(ctx: ServerContext, image: LibraryImageRow): string {
  return ctx.presigner.sign({ kind: 'get', path: objectPath(ctx, image), imageId: image.id });
}

export function presignPut(ctx: ServerContext, image: LibraryImageRow): string {
  return ctx.presigner.sign({
    kind: 'put',
    path: objectPath(ctx, image),
    imageId: image.id,
    contentSha256: image.hash.slice('sha256.'.length),
  });
}
