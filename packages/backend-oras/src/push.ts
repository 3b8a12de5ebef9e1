// push: the SIF as one blob (skipped when the registry has it), the empty config blob, then an OCI image manifest
// in the shape Apptainer writes (so `apptainer pull oras://` accepts it and we accept Apptainer's): one layer of
// application/vnd.sylabs.sif.layer.v1.sif titled with the file name, a creation time on the manifest.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { PushRequest, PushResult } from '@sregistry/core';
import { type OciClient, registryError, type Scope } from './client';
import type { Host, JsonResponse } from './host';
import { CONFIG_MEDIA_TYPE, MANIFEST_MEDIA_TYPE, SIF_LAYER_MEDIA_TYPE } from './media-types';
import type { RawAnswer } from './raw-upload';
import type { OciReference } from './reference';
import { hasRetryPolicy, Retryable, retryableStatus, withRetries } from './retry';

/** Apptainer's config blob is `{}`: its digest is fixed. */
const CONFIG = Buffer.from('{}');
/**
 * Bytes per PATCH (SREGISTRY_ORAS_CHUNK_SIZE), and the largest file hashed first that goes in one PUT. By default
 * a blob is one streamed PATCH, as Docker sends it: Distribution answers each PATCH only after an fsync of what it
 * has received, and the client sends nothing meanwhile (64 MiB chunks: 8 such stops per 512 MiB; median push
 * 3.46 s against 2.97 s in one PATCH, 4 interleaved rounds). A chunk size is for a proxy that limits bodies.
 */
export const DEFAULT_CHUNK_SIZE = Number.POSITIVE_INFINITY;

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
  const { digest: layer, uploaded } = await pushLayer(host, client, ref, scope, request, chunkSize);
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
    if (put.status === 201) {
      stated = put.headers['docker-content-digest'];
      return;
    }
    const off = offSpec(host, client, put, 201, `the manifest PUT for ${ref.display}`);
    if (off) throw off;
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
    // the reference as the registry has it (the generic name would show a one-part repository under library/)
    uri: ref.display,
    version: layer.slice('sha256:'.length),
    url: `oras://${ref.host}/${ref.repository}@${digest}`,
    details: { reference, digest, size: request.size, layer, blobUploaded: uploaded, config: digestOf(CONFIG) },
  };
}

/**
 * A success that is no registry's: a web server or portal answers every path with 200 and its page, which read as
 * success would make a push that stored nothing report "Pushed". HTML or another 2xx than the spec's is one line
 * (EBADANSWER); an error status keeps its own line (and its retries: a proxy's 502 page is transient).
 */
function offSpec(
  host: Host,
  client: OciClient,
  answer: Pick<RawAnswer, 'status' | 'headers' | 'text'>,
  expected: number,
  what: string,
): Error | undefined {
  if (answer.status < 200 || answer.status >= 300) return undefined;
  const seen = { status: answer.status, text: answer.text, headers: answer.headers as Record<string, string> };
  if (isHtml(answer)) return client.notRegistry(seen, what);
  if (answer.status === expected) return undefined;
  return new host.UserError(`${client.registry} answered ${answer.status} to ${what}, not ${expected} as an OCI registry does`, {
    fix: `check the address: ${client.registry} must be the registry itself (it answers GET /v2/ with JSON, 200 or 401), not a web server or proxy`,
    code: 'EBADANSWER',
  });
}

const isHtml = (answer: Pick<RawAnswer, 'headers' | 'text'>) =>
  /html/i.test(String(answer.headers['content-type'] ?? '')) || /^\s*</.test(answer.text ?? '');

function refusedStep(host: Host, client: OciClient, what: string, status: number, error: { code?: string; message?: string }): Error {
  const said = error.code ? `${error.code}${error.message ? `: ${error.message}` : ''}` : `HTTP ${status}`;
  return new host.UserError(`${client.registry} did not accept ${what} (${said})`, {
    fix: status === 403 ? 'check that your login may push to this repository' : 'run with --debug to see the exchange',
    code: status === 403 ? 'EPERM' : 'EHTTP',
  });
}

type BlobSource = { file: string; size: number } | { bytes: Buffer; size: number };

/** From this size on, the layer is hashed while it uploads instead of before (below it the hash takes < 15 ms). */
export const OVERLAP_MIN_BYTES = 16 * 1024 * 1024;

const cancelled = (host: Host) => new host.UserError('push cancelled', { code: 'ECANCELLED', exitCode: 130 });

/** The layer's digest; an unreadable file is one line. */
async function layerDigest(host: Host, file: string, signal: AbortSignal | undefined): Promise<string> {
  try {
    return `sha256:${(await host.fileDigests(file, ['sha256'], signal)).sha256}`;
  } catch (error) {
    if (signal?.aborted) throw cancelled(host);
    throw new host.UserError(`cannot read ${file}`, {
      fix: 'give the path of a readable image file',
      code: 'ENOFILE',
      cause: error,
    });
  }
}

/**
 * The SIF blob. A small file is hashed first, then sent unless the registry has it (putBlob). A larger one is
 * hashed (on a thread of core's, reading the file itself) while its upload session already streams it: the
 * digest is only needed for the duplicate check and the closing PUT, and hashing first kept the upload waiting
 * for one more read of the whole file (one core's sha256 time, 0.4-0.6 s per 512 MiB, docs/performance.md).
 * When the digest is known, a HEAD asks whether the registry has the blob; if it does, the upload ends at once
 * in a well-formed request, is not committed, and its session is deleted.
 */
async function pushLayer(
  host: Host,
  client: OciClient,
  ref: OciReference,
  scope: Scope,
  request: PushRequest,
  chunkSize: number,
): Promise<{ digest: string; uploaded: boolean }> {
  const source = { file: request.file, size: request.size };
  if (request.size < OVERLAP_MIN_BYTES) {
    const digest = await layerDigest(host, request.file, request.signal);
    return { digest, uploaded: await putBlob(host, client, ref, scope, digest, source, chunkSize, request) };
  }
  // the hash or the HEAD failed, or the user cancelled: the upload stops at once
  const fail = new AbortController();
  // the registry has the blob: the upload ends at the next point where its session stays usable
  const has = new AbortController();
  let failure: unknown;
  const onCancel = () => fail.abort();
  request.signal?.addEventListener('abort', onCancel, { once: true });
  const hashing = layerDigest(host, request.file, fail.signal);
  const present = hashing.then((digest) => blobPresent(client, ref, scope, digest, request.size, fail.signal));
  present.then(
    (yes) => yes && has.abort(),
    (error: unknown) => {
      failure ??= error;
      fail.abort();
    },
  );
  const report = forwardOnly(request.onProgress, request.size);
  try {
    const outcome = await withRetries(host, client.log, `the upload of ${path.basename(request.file)}`, fail.signal, () =>
      uploadSession(host, client, ref, scope, {
        source,
        chunkSize,
        label: `the layer ${path.basename(request.file)}`,
        // the closing PUT waits for the duplicate check: a blob the registry has is not committed again
        digest: async () => ((await present) ? undefined : hashing),
        stopWhen: has.signal,
        report,
        signal: fail.signal,
      }),
    );
    if (outcome === 'dropped') {
      client.log.debug(`oras: ${client.registry} has the blob of ${path.basename(request.file)}: its upload was dropped`);
      request.onProgress?.(request.size, request.size);
    }
    return { digest: await hashing, uploaded: outcome === 'committed' };
  } catch (error) {
    const why = failure;
    fail.abort();
    if (request.signal?.aborted) throw cancelled(host);
    throw why ?? error;
  } finally {
    request.signal?.removeEventListener('abort', onCancel);
  }
}

/** Whether the registry has `digest` with this size (HEAD of the blob). */
async function blobPresent(
  client: OciClient,
  ref: OciReference,
  scope: Scope,
  digest: string,
  size: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const head = await client.json(scope, { method: 'HEAD', path: `/v2/${ref.repository}/blobs/${digest}`, signal });
  if (head.status !== 200) return false;
  // a 200 alone is no proof: a web server answers every path with its page, and the push would then skip the
  // upload and "succeed" with nothing stored. Distribution always names the digest it has; without that header
  // only a non-HTML answer of exactly the blob's size counts.
  const stated = head.headers['docker-content-digest'];
  if (stated) return stated === digest;
  const length = head.headers['content-length'];
  return !isHtml(head) && length !== undefined && length !== '' && Number(length) === size;
}

/**
 * An abandoned upload session is deleted, best effort (registries also expire them, Distribution after a week,
 * holding the bytes until then). Short: it also runs while a cancelled command is on its way out. A PATCH cut
 * part-way leaves no newer Location than the one sent, and Distribution refuses that one once bytes of the cut
 * request arrived (its signed `_state` names the old offset: 404 BLOB_UPLOAD_INVALID), so the bytes stay; a
 * cancelled push says so outside --debug too, as the user would otherwise take the push to have left nothing.
 */
async function dropSession(host: Host, client: OciClient, scope: Scope, url: string, cancelled = false): Promise<void> {
  let why: string;
  try {
    const answer = await client.json(scope, { method: 'DELETE', path: url, retries: 0, timeoutMs: DROP_TIMEOUT_MS });
    if (answer.status >= 200 && answer.status < 300) {
      client.log.debug(`oras: upload session deleted (${answer.status})`);
      return;
    }
    const { code } = registryError(host, answer);
    why = `${client.registry} answered ${answer.status}${code ? ` ${code}` : ''} to the DELETE of the upload session`;
  } catch (error) {
    why = `the DELETE of the upload session failed: ${host.printable((error as Error).message)}`;
  }
  const kept = 'the partial upload stays on the registry until it purges stale uploads (Distribution: after a week)';
  client.log.debug(`oras: the upload session was not deleted: ${why}; ${kept}`);
  if (cancelled) client.log.warn(`${kept}: ${why}`);
}

const DROP_TIMEOUT_MS = 5000;

/** Progress that only moves forward: bytes sent again by a new session are not counted twice. */
function forwardOnly(onProgress: PushRequest['onProgress'], size: number): (sent: number) => void {
  let reported = 0;
  return (sent: number) => {
    if (sent <= reported) return;
    reported = sent;
    onProgress?.(sent, size);
  };
}

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
  if (await blobPresent(client, ref, scope, digest, source.size, request.signal)) {
    request.onProgress?.(source.size, source.size);
    return false;
  }
  const report = forwardOnly(request.onProgress, source.size);
  await withRetries(host, client.log, `the upload of ${digest}`, request.signal, () =>
    uploadSession(host, client, ref, scope, { source, chunkSize, label: digest, digest, report, signal: request.signal }),
  );
  return true;
}

/** A failed step: retryable when the status may succeed later, else final. */
function failed(host: Host, status: number, error: Error, retryAfter: unknown): Error {
  return retryableStatus(host, status) ? new Retryable(error, typeof retryAfter === 'string' ? retryAfter : undefined) : error;
}

interface SessionPlan {
  source: BlobSource;
  chunkSize: number;
  /** what messages call the blob before its digest is known */
  label: string;
  /**
   * Known before the upload (a blob up to chunkSize then goes in one PUT), or asked for the closing PUT after the
   * bytes: then undefined drops the session instead of committing it.
   */
  digest: string | (() => Promise<string | undefined>);
  /** ends the upload early at a request boundary, and the session is dropped (the registry has the blob) */
  stopWhen?: AbortSignal;
  report: (sent: number) => void;
  signal: AbortSignal | undefined;
}

/**
 * One upload session, POST to the closing PUT with the digest. With the digest known and the blob up to a chunk:
 * one PUT. Else PATCHes, then the closing PUT: without a chunk size the whole blob is one streamed PATCH (no
 * Content-Length), as Docker sends it; with one, PATCHes of that size with Content-Range.
 */
async function uploadSession(
  host: Host,
  client: OciClient,
  ref: OciReference,
  scope: Scope,
  plan: SessionPlan,
): Promise<'committed' | 'dropped'> {
  const { signal, stopWhen } = plan;
  if (stopWhen?.aborted) return 'dropped';
  const started = await openSession(host, client, ref, scope, signal);
  const off = offSpec(host, client, started, 202, `the upload POST for ${ref.repository}`);
  if (off) throw off;
  if (started.status !== 202 || !started.headers.location) {
    const refused = refusedStep(host, client, `an upload to ${ref.repository}`, started.status, registryError(host, started));
    throw failed(host, started.status, refused, started.headers['retry-after']);
  }
  const session = { location: new URL(started.headers.location, client.base).href };
  try {
    return await sendBlob(host, client, scope, plan, session, started.headers['oci-chunk-min-length']);
  } catch (error) {
    // cancelled, refused or cut: the session's bytes would stay on the registry's disk until it expires them
    await dropSession(host, client, scope, session.location, signal?.aborted);
    throw error;
  }
}

/**
 * The POST that opens an upload session. It is not cut off by a cancel: the registry may already have opened the
 * session when Ctrl-C comes, and only its answer names it. So a cancel waits (briefly) for that answer and
 * deletes the session it names, instead of leaving it on the registry with nothing sent after the POST.
 */
async function openSession(
  host: Host,
  client: OciClient,
  ref: OciReference,
  scope: Scope,
  signal: AbortSignal | undefined,
): Promise<JsonResponse> {
  if (signal?.aborted) throw cancelled(host);
  const post = client.json(scope, { method: 'POST', path: `/v2/${ref.repository}/blobs/uploads/` });
  if (!signal) return post;
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(cancelled(host));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([post, aborted]);
  } catch (error) {
    if (!signal.aborted) throw error;
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      post.catch(() => undefined),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), OPEN_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (late?.status === 202 && late.headers.location)
      await dropSession(host, client, scope, new URL(String(late.headers.location), client.base).href, true);
    else if (!late)
      client.log.debug(`oras: no answer to the upload POST within ${OPEN_WAIT_MS} ms of the cancel; a session it opened stays`);
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** How long a cancelled push waits for the answer to its session's POST (to delete that session). */
const OPEN_WAIT_MS = 2500;

/** The bytes of one session, and its closing PUT; `session.location` follows the registry's answers. */
async function sendBlob(
  host: Host,
  client: OciClient,
  scope: Scope,
  plan: SessionPlan,
  session: { location: string },
  minLength: string | undefined,
): Promise<'committed' | 'dropped'> {
  const { source, report, signal, stopWhen } = plan;
  let location = session.location;
  const min = Number(minLength ?? 0);
  const chunk = Math.max(plan.chunkSize, Number.isFinite(min) ? min : 0);
  const progress = (base: number) => (sent: number) => report(base + sent);
  const withDigest = (url: string, digest: string) => {
    const u = new URL(url);
    u.searchParams.set('digest', digest);
    return u.href;
  };

  let done: RawAnswer;
  let digest: string | undefined;
  if (typeof plan.digest === 'string' && source.size <= chunk) {
    digest = plan.digest;
    done = await client.upload(scope, {
      method: 'PUT',
      url: withDigest(location, digest),
      body: 'bytes' in source ? source.bytes : { file: source.file, start: 0, end: source.size },
      headers: {},
      onProgress: progress(0),
      signal,
    });
  } else {
    const streamed = !Number.isFinite(chunk) && 'file' in source;
    for (let start = 0; start < source.size && !stopWhen?.aborted; start += chunk) {
      const end = Math.min(source.size, start + chunk);
      const patched = await client.upload(scope, {
        method: 'PATCH',
        url: location,
        body:
          'bytes' in source
            ? source.bytes.subarray(start, end)
            : { file: source.file, start, end, streamed, endEarly: streamed ? stopWhen : undefined },
        headers: streamed ? {} : { 'Content-Range': `${start}-${end - 1}` },
        onProgress: progress(start),
        signal,
      });
      if (patched.status !== 202 || !patched.headers.location) {
        const refused = refusedStep(host, client, `a chunk of ${plan.label}`, patched.status, errorOf(host, patched.text));
        throw failed(host, patched.status, refused, patched.headers['retry-after']);
      }
      location = new URL(String(patched.headers.location), client.base).href;
      session.location = location;
    }
    digest = stopWhen?.aborted ? undefined : typeof plan.digest === 'string' ? plan.digest : await plan.digest();
    if (digest === undefined) {
      await dropSession(host, client, scope, location);
      return 'dropped';
    }
    done = await client.upload(scope, {
      method: 'PUT',
      url: withDigest(location, digest),
      body: Buffer.alloc(0),
      headers: {},
      signal,
    });
  }
  if (done.status !== 201) {
    const off = offSpec(host, client, done, 201, `the closing PUT of ${digest}`);
    if (off) throw off;
    const error = errorOf(host, done.text);
    if (error.code === 'DIGEST_INVALID') {
      throw new host.UserError(`${client.registry} received other bytes than ${digest}`, {
        fix: 'the file changed while it was pushed, or the connection corrupts data: push again',
        code: 'EDIGEST',
      });
    }
    throw failed(host, done.status, refusedStep(host, client, `the blob ${digest}`, done.status, error), done.headers['retry-after']);
  }
  return 'committed';
}

function errorOf(host: Host, text: string): { code?: string; message?: string } {
  try {
    return registryError(host, { data: JSON.parse(text) });
  } catch {
    return {};
  }
}
