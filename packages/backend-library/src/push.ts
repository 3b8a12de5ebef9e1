// push, in the order Apptainer's library client uses (which the Registry Server's quirks are built around):
// entity → collection (created when missing, for the token's own entity) → container → image for the file's
// sha256 → the v2 upload (one presigned PUT up to 64 MiB; above, the multipart flow with the server's part size,
// one presigned PUT per part carrying its x-amz-content-sha256, then _multipart_complete with the ETags, or
// _multipart_abort on any failure or Ctrl-C; a 404 on _multipart means no multipart: one PUT) → _complete → tags.
// A presigned URL refused with 403 (the Registry Server's expire after 5 minutes) is asked for again, once.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { PushRequest, PushResult } from '@sregistry/core';
import semver from 'semver';
import type { LibraryClient } from './client';
import type { Host, JsonResponse } from './host';
import type { ImageMeta } from './pull';
import { display, type LibraryReference } from './reference';

/** Files up to this size go in one presigned PUT (Apptainer's threshold). */
export const MULTIPART_THRESHOLD = 64 * 1024 * 1024;

interface Ids {
  entity: string;
  collection: string;
  container: string;
  image: string;
  /** the server says the file is there already (Sylabs' `uploaded`; the Registry Server never says so) */
  uploaded: boolean;
  collectionCreated: boolean;
}

type Step = { step: string; status: number };

export interface PushOptions {
  arch: string;
  multipartThreshold?: number;
}

export async function pushImage(
  host: Host,
  client: LibraryClient,
  ref: LibraryReference,
  request: PushRequest,
  options: PushOptions,
): Promise<PushResult> {
  const { UserError } = host;
  if (!ref.entity || ref.hash) {
    throw new UserError(`cannot push to ${display(ref)}`, {
      fix: 'push to library://<entity>/<collection>/<container>:<tag> (all three parts, a tag and no hash)',
      code: 'EBADNAME',
    });
  }
  if (!client.hasToken) {
    throw new UserError(`pushing to ${host.urlOrigin(client.target.url)} needs a token`, {
      fix: client.loginHint(),
      code: 'ENOCREDENTIAL',
    });
  }
  const signal = request.signal;
  const threshold = options.multipartThreshold ?? MULTIPART_THRESHOLD;
  let digests: FileHashes;
  try {
    // the md5 only for a single upload (Apptainer sends it there; a multipart upload has per-part sha256s instead,
    // and the pass over the file keeps the sha256 of its prefixes: part 1's is one of them)
    digests =
      request.size > threshold
        ? await rangeSha256(request.file, 0, request.size, signal, PREFIX_STEP)
        : await host.fileDigests(request.file, ['sha256', 'md5'], signal);
  } catch (error) {
    if (signal?.aborted) throw new UserError('push cancelled', { code: 'ECANCELLED', exitCode: 130 });
    if ((error as { code?: unknown })?.code === 'EFILECHANGED') {
      throw new UserError(`${request.file} changed while it was read (it is shorter than ${request.size} bytes now)`, {
        fix: 'do not modify the image while pushing it, then push again',
        code: 'EFILECHANGED',
        cause: error,
      });
    }
    throw new UserError(`cannot read ${request.file}`, { fix: 'give the path of a readable image file', code: 'ENOFILE', cause: error });
  }
  const hash = `sha256.${digests.sha256}`;
  const steps: Step[] = [];
  const ids = await findOrCreate(host, client, ref, hash, options.arch, steps, signal);

  const apiVersion = await client.apiVersion(signal);
  const v2 = Boolean(semver.valid(apiVersion)) && semver.gte(apiVersion, '2.0.0-alpha.1');
  const archTags = Boolean(semver.valid(apiVersion)) && semver.gte(apiVersion, '2.0.0-alpha.2');
  const progress = (sent: number) => request.onProgress?.(Math.min(sent, request.size), request.size);
  let upload: string;
  if (ids.uploaded) {
    upload = 'skipped';
  } else if (!v2) {
    upload = await uploadV1(host, client, ids.image, request, progress);
  } else {
    upload =
      request.size > threshold
        ? await uploadMultipart(host, client, ids.image, request, digests, progress)
        : await uploadSingle(host, client, ids.image, request, digests, progress);
    const done = await client.call(`/v2/imagefile/${ids.image}/_complete`, { method: 'PUT', json: {}, signal });
    steps.push({ step: '_complete', status: done.status });
    if (done.status === 401 || done.status === 403) throw client.authError(done.status, `complete the upload of ${display(ref)}`, done);
    if (done.status >= 300) throw client.unexpected(done.status, `the end of the upload of ${display(ref)}`, done);
  }
  request.onProgress?.(request.size, request.size);

  for (const tag of ref.tags) {
    const path = archTags ? `/v2/tags/${ids.container}` : `/v1/tags/${ids.container}`;
    const json = archTags ? { Arch: options.arch, Tag: tag, ImageID: ids.image } : { Tag: tag, ImageID: ids.image };
    const answer = await client.call(path, { method: 'POST', json, signal });
    steps.push({ step: `tag ${tag}`, status: answer.status });
    if (answer.status === 200 || answer.status === 201 || answer.status === 204) continue;
    const said = serverText(host, answer);
    if (answer.status === 400 && /frozen/i.test(said ?? '')) {
      throw new UserError(`the tag ${tag} of ${ref.path} is frozen on the server; the image was uploaded but not tagged`, {
        fix: `push under another tag, e.g. --tag ${tag}-2, or ask the collection's owner to unfreeze it`,
        code: 'EFROZEN',
      });
    }
    if (answer.status === 401 || answer.status === 403) throw client.authError(answer.status, `tag ${ref.path}:${tag}`, answer);
    throw client.unexpected(answer.status, `the tag ${tag} for ${ref.path}`, answer);
  }

  const api = await client.api(signal);
  return {
    message: `Pushed ${display(ref)} (${hash})${ids.collectionCreated ? `, in the new collection ${ref.entity}/${ref.collection}` : ''}`,
    version: hash,
    url: `library://${new URL(api).host}/${ref.path}:${hash}`,
    details: {
      reference: `${ref.path}:${ref.tags.join(',')}`,
      hash,
      size: request.size,
      arch: options.arch,
      upload,
      collectionCreated: ids.collectionCreated,
      ids: { entity: ids.entity, collection: ids.collection, container: ids.container, image: ids.image },
      steps,
    },
  };
}

function serverText(host: Host, answer: JsonResponse): string | undefined {
  const data = answer.data as { message?: unknown; error?: { message?: unknown }; detail?: unknown } | undefined;
  const text = data?.error?.message ?? data?.message ?? data?.detail ?? (answer.isJson ? undefined : answer.text);
  return typeof text === 'string' && text.trim() ? host.printable(text, { max: 160 }) : undefined;
}

function idOf(answer: JsonResponse<{ data?: { id?: unknown } }>): string | undefined {
  const id = answer.data?.data?.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

async function findOrCreate(
  host: Host,
  client: LibraryClient,
  ref: LibraryReference,
  hash: string,
  arch: string,
  steps: Step[],
  signal: AbortSignal | undefined,
): Promise<Ids> {
  const { UserError } = host;
  const e = ref.entity!;
  const get = async (step: string, path: string, query?: Record<string, string>) => {
    const answer = await client.call<{ data?: { id?: unknown } & ImageMeta }>(path, { query, signal });
    steps.push({ step, status: answer.status });
    if (answer.status === 401 || answer.status === 403) throw client.authError(answer.status, `push to ${display(ref)}`, answer);
    if (answer.status !== 200 && answer.status !== 404) throw client.unexpected(answer.status, `${step} ${display(ref)}`, answer);
    return answer;
  };
  const create = async (step: string, path: string, json: unknown) => {
    const answer = await client.call<{ data?: { id?: unknown } & ImageMeta }>(path, { method: 'POST', json, signal });
    steps.push({ step, status: answer.status });
    return answer;
  };

  const entity = await get('entity', `/v1/entities/${e}`);
  const entityId = entity.status === 200 ? idOf(entity) : undefined;
  if (!entityId) {
    throw new UserError(`the entity ${e} is not in the library, or it is not yours`, {
      fix: 'push under your own user name: library://<your user name>/<collection>/<container>:<tag>',
      code: 'ENOTFOUND',
    });
  }

  let collectionCreated = false;
  const collection = await get('collection', `/v1/collections/${e}/${ref.collection}`);
  let collectionId = collection.status === 200 ? idOf(collection) : undefined;
  if (!collectionId) {
    const made = await create('create collection', '/v1/collections', { entity: entityId, name: ref.collection, private: false });
    collectionId = made.status === 200 || made.status === 201 ? idOf(made) : undefined;
    if (!collectionId) {
      const said = serverText(host, made);
      throw new UserError(
        `the collection ${e}/${ref.collection} does not exist and could not be created (HTTP ${made.status}${said ? `: ${said}` : ''})`,
        {
          fix: `create it on the library's web page, or push to a collection of your own entity`,
          code: made.status === 403 || made.status === 401 ? 'EPERM' : 'ENOTFOUND',
        },
      );
    }
    collectionCreated = true;
  }

  const container = await get('container', `/v1/containers/${e}/${ref.collection}/${ref.container}`);
  let containerId = container.status === 200 ? idOf(container) : undefined;
  if (!containerId) {
    const made = await create('create container', '/v1/containers', { collection: collectionId, name: ref.container });
    containerId = made.status === 200 || made.status === 201 ? idOf(made) : undefined;
    if (!containerId) {
      throw new UserError(`the container ${ref.path} does not exist and could not be created (HTTP ${made.status})`, {
        fix: 'create it on the library web page, or check that you own the collection',
        code: 'ENOTFOUND',
      });
    }
  }

  const image = await get('image', `/v1/images/${ref.path}:${hash}`, { arch });
  let imageId = image.status === 200 ? idOf(image) : undefined;
  let uploaded = image.status === 200 && image.data?.data?.uploaded === true;
  if (!imageId) {
    const made = await create('create image', '/v1/images', { container: containerId, hash, arch });
    imageId = made.status === 200 || made.status === 201 ? idOf(made) : undefined;
    uploaded = false;
    if (!imageId) throw client.unexpected(made.status, `the new image of ${display(ref)}`, made);
  }
  return { entity: entityId, collection: collectionId, container: containerId, image: imageId, uploaded, collectionCreated };
}

/** Whether a presigned URL signs the x-amz-content-sha256 header (then it must be sent, and match). */
function signsContentSha(url: string): boolean {
  try {
    const signed = new URL(url).searchParams.get('X-Amz-SignedHeaders') ?? '';
    return signed.split(';').includes('x-amz-content-sha256');
  } catch {
    return false;
  }
}

/** PUT of a byte range to a presigned URL; `fresh` asks for a new URL, used once when the first is refused with 403. */
async function putPresigned(
  host: Host,
  client: LibraryClient,
  first: string,
  fresh: () => Promise<string>,
  part: { file: string; start: number; end: number; sha256?: string; forceSha?: boolean },
  onProgress: (sent: number) => void,
  signal: AbortSignal | undefined,
  what: string,
): Promise<JsonResponse> {
  let url = first;
  for (let attempt = 0; ; attempt++) {
    checkPresigned(host, url, what);
    const headers: Record<string, string> = {};
    if (part.sha256 && (part.forceSha || signsContentSha(url))) headers['x-amz-content-sha256'] = part.sha256;
    let answer: JsonResponse;
    try {
      answer = await host.uploadFile({
        url,
        file: part.file,
        start: part.start,
        end: part.end,
        headers,
        insecure: client.insecure,
        signal,
        onProgress: (sent) => onProgress(sent),
      });
    } catch (error) {
      // An object store that refuses an expired URL early (its 403 before the body is in) closes the connection
      // under a large body, and that is all the client sees: one fresh URL, as for the 403 itself.
      if (attempt > 0 || signal?.aborted || !host.isUserError(error) || error.code !== 'ENETWORK') throw error;
      client.debug(`the upload of ${what} was cut (${error.message}): asking for a fresh upload URL`);
      url = await fresh();
      continue;
    }
    if (answer.status >= 200 && answer.status < 300) return answer;
    if (answer.status === 403 && attempt === 0) {
      // most likely expired (signed URLs live minutes): one fresh URL, then it is an error
      url = await fresh();
      continue;
    }
    const said = host.printable(answer.isJson ? serverText(host, answer) : /<Message>([^<]*)<\/Message>/.exec(answer.text)?.[1], {
      max: 120,
    });
    throw new host.UserError(`the object store ${host.urlOrigin(url)} refused ${what} (HTTP ${answer.status}${said ? `: ${said}` : ''})`, {
      fix:
        answer.status === 403
          ? 'the upload URL expired twice or is refused: push again'
          : 'push again; run with --debug to see the exchange',
      code: answer.status === 403 ? 'EPERM' : 'EHTTP',
    });
  }
}

function checkPresigned(host: Host, url: unknown, what: string): asserts url is string {
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
    throw new host.UserError(`the library gave no upload address for ${what}`, {
      fix: 'the server may not support v2 uploads; run with --debug to see the exchange',
      code: 'EBADANSWER',
    });
  }
}

async function uploadSingle(
  host: Host,
  client: LibraryClient,
  imageId: string,
  request: PushRequest,
  digests: { sha256: string; md5?: string },
  progress: (sent: number) => void,
): Promise<string> {
  const ask = async () => {
    const answer = await client.call<{ data?: { uploadURL?: unknown } }>(`/v2/imagefile/${imageId}`, {
      method: 'POST',
      json: { filesize: request.size, sha256sum: digests.sha256, md5sum: digests.md5 },
      signal: request.signal,
    });
    if (answer.status === 401 || answer.status === 403) throw client.authError(answer.status, 'upload the image', answer);
    if (answer.status !== 200) throw client.unexpected(answer.status, 'the request for an upload URL', answer);
    const url = answer.data?.data?.uploadURL;
    checkPresigned(host, url, 'the image');
    return url;
  };
  await putPresigned(
    host,
    client,
    await ask(),
    ask,
    { file: request.file, start: 0, end: request.size, sha256: digests.sha256 },
    progress,
    request.signal,
    'the image',
  );
  return 'single';
}

async function uploadV1(
  host: Host,
  client: LibraryClient,
  imageId: string,
  request: PushRequest,
  progress: (sent: number) => void,
): Promise<string> {
  const api = await client.api(request.signal);
  const answer = await host.uploadFile({
    url: `${api}/v1/imagefile/${imageId}`,
    method: 'POST',
    file: request.file,
    headers: client.authorization(),
    insecure: client.insecure,
    signal: request.signal,
    onProgress: (sent) => progress(sent),
  });
  if (answer.status === 401 || answer.status === 403) throw client.authError(answer.status, 'upload the image', answer);
  if (answer.status >= 300) throw client.unexpected(answer.status, 'the upload', answer);
  return 'v1';
}

export interface FileHashes {
  sha256: string;
  md5?: string;
  /** sha256 of the range's first k·step bytes, by k·step (from rangeSha256 with a step) */
  prefixes?: Map<number, string>;
}

/**
 * Granularity of the prefix hashes kept while the file's sha256 is computed. Part sizes are whole MiB in practice
 * (S3's 5 MiB minimum, the Registry Server's 500 MiB), so part 1's sha256 comes from that pass instead of a second
 * read and hash of up to a whole part: a 512 MiB push in 500 MiB parts hashed 1012 MiB before its first byte was
 * sent, now 512. A snapshot is a copy of the hash state and one final block (µs), kept as hex: at most
 * MAX_PART / PREFIX_STEP (5120) of them, whatever the file size.
 */
const PREFIX_STEP = 1024 * 1024;
const READ_BYTES = 1024 * 1024;
/** S3's largest part: no part 1 is longer. */
const MAX_PART = 5 * 1024 * 1024 * 1024;

/**
 * sha256 of a byte range, streamed (the server checks each part against it); with `step`, also the sha256 of
 * every prefix of the range that is a multiple of `step` long (up to MAX_PART).
 */
export async function rangeSha256(file: string, start: number, end: number, signal?: AbortSignal, step?: number): Promise<FileHashes> {
  const hash = createHash('sha256');
  const prefixes = step ? new Map<number, string>() : undefined;
  let at = 0;
  const take = (bytes: Buffer) => {
    if (!prefixes || !step) return void hash.update(bytes);
    let offset = 0;
    while (offset < bytes.length) {
      const room = step - (at % step);
      const piece = bytes.subarray(offset, offset + room);
      hash.update(piece);
      offset += piece.length;
      at += piece.length;
      if (at % step === 0 && at <= MAX_PART) prefixes.set(at, hash.copy().digest('hex'));
    }
  };
  if (end > start) {
    // two reused buffers, the next read in flight while this one is hashed: a read stream's fresh 1 MiB buffer per
    // read cost a push of 512 MiB ~0.3 CPU-s of allocation and garbage collection
    const handle = await fs.promises.open(file, 'r');
    try {
      let [current, next] = [Buffer.allocUnsafeSlow(READ_BYTES), Buffer.allocUnsafeSlow(READ_BYTES)];
      const read = (buffer: Buffer, position: number) => handle.read(buffer, 0, Math.min(buffer.length, end - position), position);
      let position = start;
      let reading = read(current, position);
      while (position < end) {
        const { bytesRead } = await reading;
        if (signal?.aborted) throw signal.reason ?? new Error('aborted');
        if (bytesRead === 0) throw Object.assign(new Error(`${file} is shorter than ${end} bytes`), { code: 'EFILECHANGED' });
        position += bytesRead;
        if (position < end) reading = read(next, position);
        take(current.subarray(0, bytesRead));
        [current, next] = [next, current];
      }
    } finally {
      await handle.close();
    }
  }
  return { sha256: hash.digest('hex'), prefixes };
}

async function uploadMultipart(
  host: Host,
  client: LibraryClient,
  imageId: string,
  request: PushRequest,
  digests: FileHashes,
  progress: (sent: number) => void,
): Promise<string> {
  const signal = request.signal;
  const base = `/v2/imagefile/${imageId}`;
  const started = await client.call<{ data?: { uploadID?: unknown; totalParts?: unknown; partSize?: unknown } }>(`${base}/_multipart`, {
    method: 'POST',
    json: { filesize: request.size },
    signal,
  });
  if (started.status === 404) {
    // the server has multipart turned off (the Registry Server's MINIO_MULTIPART_UPLOAD): one PUT
    await uploadSingle(host, client, imageId, request, { sha256: digests.sha256 }, progress);
    return 'single (the server has no multipart upload)';
  }
  if (started.status === 401 || started.status === 403) throw client.authError(started.status, 'upload the image', started);
  const uploadID = started.data?.data?.uploadID;
  const partSize = Number(started.data?.data?.partSize);
  const stated = Number(started.data?.data?.totalParts);
  if (started.status !== 200 || typeof uploadID !== 'string' || !Number.isSafeInteger(partSize) || partSize <= 0) {
    throw client.unexpected(started.status, 'the start of the multipart upload', started);
  }
  const totalParts = Math.ceil(request.size / partSize);
  if (Number.isSafeInteger(stated) && stated > 0 && stated !== totalParts) {
    throw new host.UserError(`the library asked for ${stated} parts of ${partSize} bytes for a file of ${request.size}`, {
      fix: 'the server and the file disagree; push again',
      code: 'EBADANSWER',
    });
  }
  const completed: { partNumber: number; token: string }[] = [];
  const range = (partNumber: number) => {
    const start = (partNumber - 1) * partSize;
    return { start, end: Math.min(request.size, start + partSize) };
  };
  // the next part is hashed while this one is sent, so reading and hashing overlap the network
  const hashOf = (partNumber: number) => {
    const { start, end } = range(partNumber);
    // a part that is the whole file has the file's sha256, part 1 most likely one of its prefixes'
    const known = start === 0 ? (end === request.size ? digests.sha256 : digests.prefixes?.get(end)) : undefined;
    const hashing = known ? Promise.resolve(known) : rangeSha256(request.file, start, end, signal).then((h) => h.sha256);
    hashing.catch(() => undefined);
    return hashing;
  };
  let nextHash = hashOf(1);
  try {
    for (let partNumber = 1; partNumber <= totalParts; partNumber++) {
      const { start, end } = range(partNumber);
      const sha256 = await nextHash;
      if (partNumber < totalParts) nextHash = hashOf(partNumber + 1);
      const ask = async () => {
        const answer = await client.call<{ data?: { presignedURL?: unknown } }>(`${base}/_multipart`, {
          method: 'PUT',
          json: { uploadID, partNumber, partSize: end - start, sha256sum: sha256 },
          signal,
        });
        if (answer.status === 401 || answer.status === 403) throw client.authError(answer.status, 'upload the image', answer);
        if (answer.status !== 200) throw client.unexpected(answer.status, `the request for part ${partNumber}`, answer);
        const url = answer.data?.data?.presignedURL;
        checkPresigned(host, url, `part ${partNumber}`);
        return url;
      };
      const put = await putPresigned(
        host,
        client,
        await ask(),
        ask,
        { file: request.file, start, end, sha256, forceSha: true },
        (sent) => progress(start + sent),
        signal,
        `part ${partNumber} of ${totalParts}`,
      );
      const etag = put.headers.etag;
      if (!etag) {
        throw new host.UserError(`the object store gave no ETag for part ${partNumber}`, {
          fix: 'the store is not S3-compatible enough for multipart uploads; ask the administrator',
          code: 'EBADANSWER',
        });
      }
      completed.push({ partNumber, token: etag });
    }
    const done = await client.call(`${base}/_multipart_complete`, { method: 'PUT', json: { uploadID, completedParts: completed }, signal });
    if (done.status !== 200 && done.status !== 204) throw client.unexpected(done.status, 'the end of the multipart upload', done);
  } catch (error) {
    // no signal: the abort must reach the server even after Ctrl-C
    const aborted = await client.call(`${base}/_multipart_abort`, { method: 'PUT', json: { uploadID } }).catch(() => undefined);
    const said = aborted && aborted.status < 300 ? 'the partial upload was aborted' : 'aborting the partial upload failed too';
    if (signal?.aborted) throw new host.UserError(`push cancelled; ${said}`, { code: 'ECANCELLED', exitCode: 130 });
    if (host.isUserError(error)) throw new host.UserError(`${error.message} (${said})`, { fix: error.fix, code: error.code, cause: error });
    throw error;
  }
  return `multipart (${totalParts} parts of ${partSize} bytes)`;
}
