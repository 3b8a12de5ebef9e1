// push: the native two-step upload (client-spec §6.5, registry-api.md §1.3), then a read-back of the manifest
// to confirm the server holds these bytes. Step 1 asks for the collection id, step 2 streams the file to the
// nginx upload module. Both answer refusals with HTTP 500, and a frozen tag with HTTP 200 and a message.
import path from 'node:path';
import type { FileDigests, JsonResponse, PushRequest, PushResult } from '@sregistry/core';
import { bareNumber, CLOCK_HINT, credentialsFix, detailOf, htmlError, isHtml, isObject, unexpected } from './answers';
import type { RegistryLocation } from './config';
import { versionDigest, versionMatches } from './digest';
import { containerPath, plainUri } from './endpoints';
import { authorizationHeader } from './hmac';
import { readManifest } from './manifest';
import { serverName } from './names';
import type { Runtime } from './runtime';

const UPLOAD_COMPLETE = 'Upload Complete';

/** How both push steps say "not allowed" (bad token, wrong hour, not an owner, pushing disabled). */
function refused(answer: JsonResponse): boolean {
  return answer.status === 500 || answer.status === 401 || answer.status === 403;
}

export async function pushImage(rt: Runtime, request: PushRequest): Promise<PushResult> {
  const { name } = request;
  const location = rt.location(name);
  // the server keeps (and signs) the normalised collection name; signing the raw one would be refused
  const target = serverName(rt, { ...name, version: undefined });
  const { collection } = target;
  const uri = plainUri(target);
  const credentials = rt.credentials();
  const sign = (kind: 'push' | 'upload') => (date: Date) =>
    authorizationHeader(kind, { ...credentials, collection, name: name.image, tag: name.tag, date });

  // Hashed while the upload runs (one more read of the file, on another core when there is one), so the
  // read-back check costs no extra wall time; the result is awaited only after the upload.
  const hashing = hashFile(rt, request);
  hashing.catch(() => {}); // awaited below; an early upload failure must not leave it unhandled

  // Step 1: the collection id (created when missing and the user may create collections).
  const step1Url = `${location.api}/upload/chunked_upload`;
  const step1 = await rt.http.signed(
    sign('push'),
    (authorization) =>
      rt.http.json({
        method: 'POST',
        url: step1Url,
        json: { collection, name: name.image, tag: name.tag },
        headers: { Authorization: authorization },
        signal: request.signal,
      }),
    refused,
  );
  const cid = collectionId(rt, step1, step1Url, location);
  rt.log.debug(`[1. Collection return status ${step1.status} ${rt.host.printable(detailOf(step1) ?? step1.statusText)}] cid ${cid}`);

  // Step 2: the file, as the nginx upload module expects it (field order matters to nothing but parity).
  const filename = path.posix.basename(name.storage);
  const step2 = await rt.http.signed(
    sign('upload'),
    (authorization) =>
      rt.http.upload({
        url: location.upload,
        headers: { Authorization: authorization },
        fields: [
          { name: 'SREGISTRY_EVENT', value: authorization },
          { name: 'name', value: name.image },
          { name: 'collection', value: String(cid) },
          { name: 'tag', value: name.tag },
        ],
        file: { field: 'file1', path: request.file, filename, contentType: 'text/plain' },
        onProgress: request.onProgress,
        signal: request.signal,
      }),
    refused,
  );
  checkUpload(rt, step2, location, uri);
  rt.log.debug(`[Return status ${step2.status} ${UPLOAD_COMPLETE}]`);

  const digests = await hashing;
  const version = await confirm(rt, target, location, digests, request.signal);
  const provisional = versionDigest(version)?.kind === 'md5';
  if (version) reportVersion(rt, uri, version, provisional ? digests.sha256 : undefined);
  return {
    message: UPLOAD_COMPLETE,
    uri: target.uri,
    version,
    url: `${location.api}${containerPath(target, false)}`,
    details: { cid, step1Status: step1.status, step2Status: step2.status, collection, md5: digests.md5, provisional },
  };
}

/**
 * The version as the server has it. Right after a push that is the md5; the server's worker replaces it with
 * `sha256.<hex>` of the file shortly after, so a script that keeps the md5 would not find the image by it later.
 */
function reportVersion(rt: Runtime, uri: string, held: string, laterSha256: string | undefined): void {
  const version = rt.host.printable(held);
  rt.log.info(
    laterSha256
      ? `${uri} is version ${version} on the registry for now (provisional: it becomes sha256.${laterSha256} once the registry has re-hashed the file)`
      : `${uri} is version ${version} on the registry`,
  );
}

async function hashFile(rt: Runtime, request: PushRequest): Promise<FileDigests> {
  try {
    return await rt.host.fileDigests(request.file, ['md5', 'sha256'], request.signal);
  } catch (error) {
    if (request.signal?.aborted) throw new rt.host.UserError('push cancelled', { code: 'ECANCELLED', exitCode: 130 });
    throw new rt.host.UserError(`cannot read ${request.file}`, {
      fix: 'give the path of a readable image file',
      code: 'ENOFILE',
      cause: error,
    });
  }
}

function refusedError(rt: Runtime): Error {
  return new rt.host.UserError('the registry refused the push', {
    fix: credentialsFix('check that you own the collection and that pushing is enabled', CLOCK_HINT),
    code: 'EPERM',
  });
}

function collectionId(rt: Runtime, answer: JsonResponse, url: string, location: RegistryLocation): number | string {
  const { UserError } = rt.host;
  if (refused(answer)) throw refusedError(rt);
  if (answer.status === 415 || answer.status === 404 || answer.status === 405) {
    // the original's issue #195: the JSON step reached something that is not the registry's API
    throw new UserError(`${url} answered ${answer.status}: it is not a Singularity Registry Server's push endpoint`, {
      fix: `check that SREGISTRY_REGISTRY_BASE points at the registry (requests go to ${location.api})`,
      code: 'EHTTP',
    });
  }
  if (answer.status === 200 && isObject(answer.data)) {
    const cid = answer.data.cid;
    if ((typeof cid === 'number' && Number.isFinite(cid)) || (typeof cid === 'string' && /^\d+$/.test(cid))) return cid;
    throw new UserError('the registry did not say which collection to push to (no "cid" in its answer)', {
      fix: 'check that SREGISTRY_REGISTRY_BASE points at a Singularity Registry Server; run with --debug for the exchange',
      code: 'EBADANSWER',
    });
  }
  throw unexpected(rt.host, answer, url);
}

function checkUpload(rt: Runtime, answer: JsonResponse, location: RegistryLocation, uri: string): void {
  const { UserError } = rt.host;
  if (refused(answer)) throw refusedError(rt);
  if (answer.status === 413) {
    throw new UserError('the registry refused the file as too large (413)', {
      fix: "the registry's web server limits upload sizes (client_max_body_size): ask its administrator",
      code: 'ETOOLARGE',
    });
  }
  if (answer.status >= 300 && answer.status < 400) {
    // the server's web-upload path (taken when cookies are sent) answers with a redirect and stores nothing
    throw new UserError(`the registry answered the upload with a redirect (${answer.status}) and did not store ${uri}`, {
      fix: `check that SREGISTRY_REGISTRY_BASE points at the registry itself (the upload goes to ${location.upload})`,
      code: 'EHTTP',
    });
  }
  if (answer.status >= 200 && answer.status < 300 && isObject(answer.data)) {
    const message = typeof answer.data.message === 'string' ? answer.data.message.trim() : '';
    if (message === UPLOAD_COMPLETE) return;
    if (message.endsWith('already exists.')) {
      throw new UserError(`${uri} is frozen on the registry`, { fix: 'push it under another tag', code: 'EFROZEN' });
    }
    throw new UserError(`the registry did not store ${uri}: ${message ? rt.host.printable(message) : 'its answer has no message'}`, {
      fix: 'run with --debug to see the exchange',
      code: 'EBADANSWER',
    });
  }
  if (answer.status === 200 && bareNumber(answer) !== undefined) {
    throw new UserError(`the registry answered ${bareNumber(answer)} to the upload`, {
      fix: 'run with --debug to see the exchange',
      code: 'EBADANSWER',
    });
  }
  if (isHtml(answer)) throw htmlError(rt.host, location.upload);
  throw unexpected(rt.host, answer, location.upload);
}

/**
 * Reads the manifest back and compares the server's version with the local file. A 404 means the server said
 * "Upload Complete" without storing anything (what it does for staff users who do not own the collection).
 */
async function confirm(
  rt: Runtime,
  target: Parameters<typeof readManifest>[1],
  location: RegistryLocation,
  digests: FileDigests,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const { UserError, isUserError } = rt.host;
  const uri = plainUri({ ...target, version: undefined });
  let data: Record<string, unknown>;
  try {
    data = (await readManifest(rt, target, location, signal)).data;
  } catch (error) {
    if (isUserError(error) && error.code === 'ENOTFOUND') {
      throw new UserError(`the registry answered "${UPLOAD_COMPLETE}" but does not hold ${uri}`, {
        fix: 'only owners of a collection can store images in it: ask an owner to add you',
        code: 'ENOTSTORED',
      });
    }
    if (signal?.aborted) throw error;
    rt.log.warn(`the upload finished, but it could not be confirmed: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
  const version = typeof data.version === 'string' ? data.version : undefined;
  const matches = versionMatches(version, digests);
  if (matches === false) {
    const local = versionDigest(version)?.kind === 'md5' ? `md5 is ${digests.md5}` : `sha256 is ${digests.sha256}`;
    throw new UserError(`the registry holds another file for ${uri} (version ${version}; the local file's ${local})`, {
      fix: 'push again; if it keeps happening, something on the way changes the upload, or someone else pushed the same tag',
      code: 'EDIGEST',
    });
  }
  if (matches === undefined) rt.log.debug(`the registry reports version ${version ?? 'none'}: not compared with the local file`);
  return version;
}
