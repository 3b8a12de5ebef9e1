// push: the SIF as one blob (skipped when the registry has it), the empty config blob, then an OCI image manifest
// in the shape Apptainer writes (so `apptainer pull oras://` accepts it and we accept Apptainer's): one layer of
// application/vnd.sylabs.sif.layer.v1.sif titled with the file name, a creation time on the manifest.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { PushRequest, PushResult } from '@sregistry/core';
import { type OciClient, registryError, type Scope } from './client';
import type { Host } from './host';
import { CONFIG_MEDIA_TYPE, MANIFEST_MEDIA_TYPE, SIF_LAYER_MEDIA_TYPE } from './media-types';
import type { RawAnswer } from './raw-upload';
import type { OciReference } from './reference';
import { hasRetryPolicy, Retryable, retryableStatus, withRetries } from './retry';

/** Apptainer's config blob is `{}`: its digest is fixed. */
const CONFIG = Buffer.from('{}');
/** Files up to this size go in one PUT; larger ones in PATCH chunks of this size (SREGISTRY_ORAS_CHUNK_SIZE). */
export const DEFAULT_CHUNK_SIZE = 64 * 1024 * 1024;

const digestOf = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export async function pushImage(
  host: Host,
  client: OciClient,
  ref: OciReference,
  request: PushRequest,
  chunkSize: number,
): Promise<PushResult> {
  if (ref.digest) {
    throw new host.UserError(`cannot push to a digest (${ref.display})`, {
      fix: 'push to a tag: oras://<host>/<repository>:<tag>',
      code: 'EBADNAME',
    });
  }
  const scope: Scope = { repository: ref.repository, actions: ['pull', 'push'] };
  let layer: string;
  try {
    layer = `sha256:${(await host.fileDigests(request.file, ['sha256'], request.signal)).sha256}`;
  } catch (error) {
    if (request.signal?.aborted) throw new host.UserError('push cancelled', { code: 'ECANCELLED', exitCode: 130 });
    throw new host.UserError(`cannot read ${request.file}`, {
      fix: 'give the path of a readable image file',
      code: 'ENOFILE',
      cause: error,
    });
  }
  const uploaded = await putBlob(host, client, ref, scope, layer, { file: request.file, size: request.size }, chunkSize, request);
  await putBlob(host, client, ref, scope, digestOf(CONFIG), { bytes: CONFIG, size: CONFIG.length }, chunkSize, {});

  const manifest = {
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPE,
    config: { mediaType: CONFIG_MEDIA_TYPE, digest: digestOf(CONFIG), size: CONFIG.length },
    layers: [
      {
        mediaType: SIF_LAYER_MEDIA_TYPE,
        digest: layer,
        size: request.size,
        annotations: { 'org.opencontainers.image.title': path.basename(request.file) },
      },
    ],
    annotations: { 'org.opencontainers.image.created': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') },
  };
  // requestJson serialises with JSON.stringify: the digest is of exactly these bytes
  const body = JSON.stringify(manifest);
  let stated: string | undefined;
  // the manifest PUT is retried here under the host's policy, so not a second time inside requestJson
  await withRetries(host, client.log, `the manifest PUT for ${ref.display}`, request.signal, async () => {
    const put = await client.json(scope, {
      method: 'PUT',
      path: `/v2/${ref.repository}/manifests/${encodeURIComponent(ref.tag)}`,
      json: manifest,
      headers: { 'Content-Type': MANIFEST_MEDIA_TYPE },
      // (an older core without the policy keeps requestJson's own retries)
      retries: hasRetryPolicy(host) ? 0 : undefined,
      signal: request.signal,
    });
    if (put.status === 201 || put.status === 200) {
      stated = put.headers['docker-content-digest'];
      return;
    }
    const refused = refusedStep(host, client, `the manifest for ${ref.display}`, put.status, registryError(host, put));
    throw retryableStatus(host, put.status) ? new Retryable(refused, put.headers['retry-after']) : refused;
  });
  const digest = digestOf(body);
  if (stated && stated !== digest) {
    throw new host.UserError(`${client.registry} stored the manifest under ${host.printable(stated)}, not ${digest}`, {
      fix: 'push again; a proxy on the way may rewrite the manifest',
      code: 'EDIGEST',
    });
  }
  const reference = `${ref.host}/${ref.repository}:${ref.tag}`;
  return {
    message: `Pushed ${digest}`,
    version: layer.slice('sha256:'.length),
    url: `oras://${ref.host}/${ref.repository}@${digest}`,
    details: { reference, digest, size: request.size, layer, blobUploaded: uploaded, config: digestOf(CONFIG) },
  };
}

function refusedStep(host: Host, client: OciClient, what: string, status: number, error: { code?: string; message?: string }): Error {
  const said = error.code ? `${error.code}${error.message ? `: ${error.message}` : ''}` : `HTTP ${status}`;
  return new host.UserError(`${client.registry} did not accept ${what} (${said})`, {
    fix: status === 403 ? 'check that your login may push to this repository' : 'run with --debug to see the exchange',
    code: status === 403 ? 'EPERM' : 'EHTTP',
  });
}

type BlobSource = { file: string; size: number } | { bytes: Buffer; size: number };

/**
 * HEAD, then an upload session: one PUT for small blobs, PATCH chunks then a closing PUT for large ones. A session
 * that fails with a retryable answer or a dropped connection is started again from a new POST (the registry
 * drops a broken session's bytes; resuming from its Range would save little for much more code).
 */
async function putBlob(
  host: Host,
  client: OciClient,
  ref: OciReference,
  scope: Scope,
  digest: string,
  source: BlobSource,
  chunkSize: number,
  request: Pick<PushRequest, 'onProgress' | 'signal'>,
): Promise<boolean> {
  const blobPath = `/v2/${ref.repository}/blobs/${digest}`;
  const head = await client.json(scope, { method: 'HEAD', path: blobPath, signal: request.signal });
  if (head.status === 200 && Number(head.headers['content-length'] ?? source.size) === source.size) {
    request.onProgress?.(source.size, source.size);
    return false;
  }
  // progress only moves forward: bytes sent again by a new session are not counted twice
  let reported = 0;
  const report = (sent: number) => {
    if (sent <= reported) return;
    reported = sent;
    request.onProgress?.(sent, source.size);
  };
  await withRetries(host, client.log, `the upload of ${digest}`, request.signal, () =>
    uploadSession(host, client, ref, scope, digest, source, chunkSize, report, request.signal),
  );
  return true;
}

/** A failed step: retryable when the status may succeed later, else final. */
function failed(host: Host, status: number, error: Error, retryAfter: unknown): Error {
  return retryableStatus(host, status) ? new Retryable(error, typeof retryAfter === 'string' ? retryAfter : undefined) : error;
}

/** One upload session, POST to the closing PUT with the digest. */
async function uploadSession(
  host: Host,
  client: OciClient,
  ref: OciReference,
  scope: Scope,
  digest: string,
  source: BlobSource,
  chunkSize: number,
  report: (sent: number) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const started = await client.json(scope, { method: 'POST', path: `/v2/${ref.repository}/blobs/uploads/`, signal });
  if (started.status !== 202 || !started.headers.location) {
    const refused = refusedStep(host, client, `an upload to ${ref.repository}`, started.status, registryError(host, started));
    throw failed(host, started.status, refused, started.headers['retry-after']);
  }
  let location = new URL(started.headers.location, client.base).href;
  const min = Number(started.headers['oci-chunk-min-length'] ?? 0);
  const chunk = Math.max(chunkSize, Number.isFinite(min) ? min : 0);
  const progress = (base: number) => (sent: number) => report(base + sent);
  const body = (start: number, end: number) => ('bytes' in source ? source.bytes.subarray(start, end) : { file: source.file, start, end });
  const withDigest = (url: string) => {
    const u = new URL(url);
    u.searchParams.set('digest', digest);
    return u.href;
  };

  let done: RawAnswer;
  if (source.size <= chunk) {
    done = await client.upload(scope, {
      method: 'PUT',
      url: withDigest(location),
      body: body(0, source.size),
      headers: {},
      onProgress: progress(0),
      signal,
    });
  } else {
    for (let start = 0; start < source.size; start += chunk) {
      const end = Math.min(source.size, start + chunk);
      const patched = await client.upload(scope, {
        method: 'PATCH',
        url: location,
        body: body(start, end),
        headers: { 'Content-Range': `${start}-${end - 1}` },
        onProgress: progress(start),
        signal,
      });
      if (patched.status !== 202 || !patched.headers.location) {
        const refused = refusedStep(host, client, `a chunk of ${digest}`, patched.status, errorOf(host, patched.text));
        throw failed(host, patched.status, refused, patched.headers['retry-after']);
      }
      location = new URL(String(patched.headers.location), client.base).href;
    }
    done = await client.upload(scope, {
      method: 'PUT',
      url: withDigest(location),
      body: Buffer.alloc(0),
      headers: {},
      signal,
    });
  }
  if (done.status !== 201) {
    const error = errorOf(host, done.text);
    if (error.code === 'DIGEST_INVALID') {
      throw new host.UserError(`${client.registry} received other bytes than ${digest}`, {
        fix: 'the file changed while it was pushed, or the connection corrupts data: push again',
        code: 'EDIGEST',
      });
    }
    throw failed(host, done.status, refusedStep(host, client, `the blob ${digest}`, done.status, error), done.headers['retry-after']);
  }
}

function errorOf(host: Host, text: string): { code?: string; message?: string } {
  try {
    return registryError(host, { data: JSON.parse(text) });
  } catch {
    return {};
  }
}
