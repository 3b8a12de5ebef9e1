// Uploads, as the library client drives them (hub-sif-library.md C.1 push; registry-api.md §1.5):
//   POST /v2/imagefile/<id>                 → {uploadURL}: one presigned PUT of the whole file
//   POST /v2/imagefile/<id>/_multipart      → {uploadID, totalParts, partSize} chosen by the server (404 when off)
//   PUT  /v2/imagefile/<id>/_multipart      → {presignedURL} for one part, signed with its x-amz-content-sha256
//   PUT  /v2/imagefile/<id>/_multipart_complete  with the parts' ETags; the whole file's sha256 must be the image's
//   PUT  /v2/imagefile/<id>/_multipart_abort
//   PUT  /v2/imagefile/<id>/_complete       → the uploaded object becomes the image's file
//   POST /v1/imagefile/<id>                 the v1 fallback: the raw body is the file
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { requireOwner, writer } from '../auth';
import { int, jsonBody, str } from '../body';
import type { Exchange } from '../context';
import { etagOf, ownedBy, receive } from '../files';
import { objectPath, presignPut } from '../object-key';
import { fail, sendData, sendEmpty, sendJson } from '../respond';
import type { LibraryImageRow } from '../types';
import type { StoredObject } from '../uploads';
import { isRegistryServer } from './registry-server';

/** The image of an upload route, for its owner only (401/403/404 answered here). */
function ownedImage(ex: Exchange, imageId: string): LibraryImageRow | null {
  const viewer = writer(ex);
  if (!viewer) return null;
  const image = ex.ctx.state.images.get(imageId);
  const container = image && ex.ctx.state.containers.get(image.containerId);
  if (!image || !container) {
    fail(ex, 404, `image ${imageId} not found`);
    return null;
  }
  return requireOwner(ex, viewer, ex.ctx.state.parents(container).entity) ? image : null;
}

function completion(ex: Exchange, image: LibraryImageRow) {
  const container = ex.ctx.state.containers.get(image.containerId);
  const parents = container && ex.ctx.state.parents(container);
  let usage = 0;
  for (const i of ex.ctx.state.images.values()) if (i.uploaded) usage += i.size;
  return {
    quota: { quotaTotal: 0, quotaUsage: usage },
    containerUrl: parents ? `/library/${parents.entity.name}/${parents.collection.name}/${container.name}` : '',
  };
}

/** Makes a stored object the image's file. */
async function adopt(ex: Exchange, image: LibraryImageRow, object: StoredObject): Promise<void> {
  const old = image.path;
  image.path = object.path;
  image.size = object.size;
  image.uploaded = true;
  ex.ctx.uploads.objects.delete(image.id);
  // Only files the server wrote are removed: a seeded image's file belongs to the test.
  if (old !== object.path && ownedBy(ex.ctx.dataDir, old)) await rm(old, { force: true });
}

export async function requestUpload(ex: Exchange, imageId: string): Promise<void> {
  const image = ownedImage(ex, imageId);
  if (!image) return;
  const body = await jsonBody(ex);
  if (!body) return;
  const sha = str(body, 'sha256sum');
  if (sha !== undefined && `sha256.${sha}` !== image.hash)
    return fail(ex, 400, `sha256sum ${sha} does not match the image hash ${image.hash}`);
  const size = int(body, 'filesize');
  if (size !== undefined) image.size = size;
  sendData(ex.res, { uploadURL: presignPut(ex.ctx, image) });
}

export async function completeUpload(ex: Exchange, imageId: string): Promise<void> {
  // The Registry Server checks no token here: 200 with an empty body when the row exists, else 404.
  const image = isRegistryServer(ex) ? ex.ctx.state.images.get(imageId) : ownedImage(ex, imageId);
  if (!image) return isRegistryServer(ex) ? fail(ex, 404, 'not found') : undefined;
  if (!(await jsonBody(ex))) return;
  const object = ex.ctx.uploads.objects.get(image.id);
  if (object) await adopt(ex, image, object);
  else if (!image.uploaded) return fail(ex, 400, `no file was uploaded for image ${image.id}`);
  if (isRegistryServer(ex)) return sendEmpty(ex.res, 200);
  sendData(ex.res, completion(ex, image));
}

export async function startMultipart(ex: Exchange, imageId: string): Promise<void> {
  if (!ex.ctx.settings.multipart) return fail(ex, 404, 'multipart uploads are not enabled');
  const image = ownedImage(ex, imageId);
  if (!image) return;
  const body = await jsonBody(ex);
  if (!body) return;
  const filesize = int(body, 'filesize');
  if (filesize === undefined || filesize === 0) return fail(ex, 400, 'filesize (bytes, > 0) is required');
  image.size = filesize;
  const session = await ex.ctx.uploads.open(image.id, filesize, ex.ctx.settings.partSize);
  sendData(ex.res, {
    uploadID: session.uploadId,
    totalParts: session.totalParts,
    partSize: session.partSize,
    options: { s3compliant: true },
  });
}

/** The open session a body's uploadID names, for this image; answers 404 otherwise. */
function sessionOf(ex: Exchange, image: LibraryImageRow, body: Record<string, unknown>) {
  const session = ex.ctx.uploads.sessions.get(str(body, 'uploadID') ?? '');
  if (!session || session.imageId !== image.id) {
    fail(ex, 404, `upload ${String(body.uploadID)} not found for image ${image.id}`);
    return null;
  }
  return session;
}

export async function presignPart(ex: Exchange, imageId: string): Promise<void> {
  const image = ownedImage(ex, imageId);
  if (!image) return;
  const body = await jsonBody(ex);
  if (!body) return;
  const session = sessionOf(ex, image, body);
  if (!session) return;
  const partNumber = int(body, 'partNumber');
  if (partNumber === undefined || partNumber < 1 || partNumber > session.totalParts)
    return fail(ex, 400, `partNumber must be 1-${session.totalParts}`);
  const expected = ex.ctx.uploads.expectedPartSize(session, partNumber);
  const partSize = int(body, 'partSize');
  if (partSize !== expected) return fail(ex, 400, `part ${partNumber} must be ${expected} bytes, got partSize ${String(body.partSize)}`);
  const sha = str(body, 'sha256sum');
  if (!sha || !/^[0-9a-f]{64}$/.test(sha)) return fail(ex, 400, 'sha256sum (64 lowercase hex of the part) is required');
  const url = ex.ctx.presigner.sign({
    kind: 'part',
    path: objectPath(ex.ctx, image),
    imageId: image.id,
    uploadId: session.uploadId,
    partNumber,
    contentSha256: sha,
  });
  sendData(ex.res, { presignedURL: url });
}

export async function completeMultipart(ex: Exchange, imageId: string): Promise<void> {
  const image = ownedImage(ex, imageId);
  if (!image) return;
  const body = await jsonBody(ex);
  if (!body) return;
  const session = sessionOf(ex, image, body);
  if (!session) return;
  const completed = Array.isArray(body.completedParts) ? (body.completedParts as unknown[]) : undefined;
  if (!completed) return fail(ex, 400, 'completedParts is required');
  for (let n = 1; n <= session.totalParts; n++) {
    const entry = completed.find((p) => (p as { partNumber?: unknown })?.partNumber === n) as { token?: unknown } | undefined;
    const stored = session.parts.get(n);
    if (!stored) return fail(ex, 400, `part ${n} was not uploaded`);
    if (!entry) return fail(ex, 400, `completedParts lacks part ${n}`);
    const token = typeof entry.token === 'string' ? entry.token.replace(/^"|"$/g, '') : undefined;
    if (token !== stored.etag.replace(/^"|"$/g, '')) return fail(ex, 400, `part ${n}: token does not match its ETag`);
  }
  if (completed.length !== session.totalParts) return fail(ex, 400, `completedParts must list ${session.totalParts} parts`);
  const sha = await ex.ctx.uploads.wholeSha256(session);
  if (`sha256.${sha}` !== image.hash) return fail(ex, 400, `the uploaded parts (sha256 ${sha}) do not make image ${image.hash}`);
  await ex.ctx.uploads.close(session.uploadId, true);
  ex.ctx.presigner.revokeUpload(session.uploadId);
  await adopt(ex, image, { path: session.path, size: session.filesize, sha256: sha, etag: etagOf(sha, session.totalParts) });
  if (isRegistryServer(ex)) return sendJson(ex.res, 200, {});
  sendData(ex.res, completion(ex, image));
}

export async function abortMultipart(ex: Exchange, imageId: string): Promise<void> {
  const image = ownedImage(ex, imageId);
  if (!image) return;
  const body = await jsonBody(ex);
  if (!body) return;
  const session = sessionOf(ex, image, body);
  if (!session) return;
  await ex.ctx.uploads.close(session.uploadId);
  ex.ctx.presigner.revokeUpload(session.uploadId);
  // the Registry Server deletes the placeholder row with the upload: the next push starts from the image GET again
  if (isRegistryServer(ex)) ex.ctx.state.removeImage(image);
  sendJson(ex.res, 200, {});
}

/** v1: the request body is the file, checked against the image's hash. */
export async function uploadV1(ex: Exchange, imageId: string): Promise<void> {
  const image = ownedImage(ex, imageId);
  if (!image) return;
  const got = await receive(ex.req, join(ex.ctx.dataDir, 'objects'));
  if (`sha256.${got.sha256}` !== image.hash) {
    await rm(got.path, { force: true });
    return fail(ex, 400, `the uploaded file's sha256 ${got.sha256} is not the image's ${image.hash}`);
  }
  await adopt(ex, image, { path: got.path, size: got.size, sha256: got.sha256, etag: etagOf(got.sha256) });
  sendData(ex.res, completion(ex, image));
}
