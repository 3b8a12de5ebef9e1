// pull: `GET /v1/images/<ref>?arch=` gives the image's hash (sha256.<hex>) and size; the RemoteImage points core's
// download at `GET /v1/imagefile/<ref>?arch=`, which answers with the file or a redirect to object storage. Core
// follows the redirect without the Authorization header when it changes host, downloads in concurrent ranged
// parts when the storage allows (SREGISTRY_LIBRARY_CONCURRENCY × SREGISTRY_LIBRARY_PART_SIZE, as Apptainer's
// 3 × 5 MiB), retries, resumes, and checks the size and the sha256 against the hash, which is the catalogue version.
import type { ImageName, RemoteImage } from '@sregistry/core';
import type { LibraryClient } from './client';
import type { Host } from './host';
import { catalogueParts, display, type LibraryReference, refPath } from './reference';

export interface ImageMeta {
  id?: string;
  hash?: string;
  size?: unknown;
  arch?: string;
  entityName?: string;
  collectionName?: string;
  containerName?: string;
  tags?: unknown;
  uploaded?: boolean;
  [key: string]: unknown;
}

export interface PartsSetting {
  size: number;
  concurrency: number;
}

const HASH = /^sha256\.([0-9a-f]{64})$/;

/** `GET /v1/images/<ref>?arch=`, as one-line errors for what the user can fix. */
export async function fetchImage(
  host: Host,
  client: LibraryClient,
  ref: LibraryReference,
  arch: string,
  signal?: AbortSignal,
): Promise<ImageMeta> {
  const answer = await client.call<{ data?: ImageMeta }>(`/v1/images/${refPath(ref)}`, { query: { arch }, signal });
  if (answer.status === 200 && answer.data?.data && typeof answer.data.data === 'object') return answer.data.data;
  if (answer.status === 401 || answer.status === 403) throw client.authError(answer.status, `read ${display(ref)}`, answer);
  if (answer.status === 404) {
    // the tag may exist for other architectures: the container's archTags say which
    const others = ref.entity && !ref.hash ? await otherArches(client, ref, arch, signal) : [];
    if (others.length > 0) throw wrongArch(host, ref, arch, others);
    throw new host.UserError(`${display(ref)} is not in the library${client.hasToken ? '' : ' (or it is private)'}`, {
      fix: client.hasToken
        ? 'check the entity, collection, container and tag: sregistry search library://<name>'
        : `check the name and tag; a private collection needs a token: ${client.loginHint()}`,
      code: 'ENOTFOUND',
    });
  }
  // the Registry Server answers a private image asked for without a token with a 500
  if (answer.status === 500 && !client.hasToken) {
    throw new host.UserError(`${display(ref)} could not be read without a token (the server answered 500)`, {
      fix: `if the collection is private, log in: ${client.loginHint()}`,
      code: 'ENOCREDENTIAL',
    });
  }
  throw client.unexpected(answer.status, `the image ${display(ref)}`, answer);
}

/** The refusal of a tag that exists for other architectures only (pull and delete both take --arch). */
export function wrongArch(host: Host, ref: LibraryReference, arch: string, others: string[]): Error {
  const list = others.map((a) => host.printable(a, { max: 20 })).join(', ');
  return new host.UserError(`${display(ref)} has no image for ${host.printable(arch, { max: 20 })}, only for ${list}`, {
    fix: `add --arch ${host.printable(others[0], { max: 20 })} if that is the one you mean`,
    code: 'ENOTFOUND',
  });
}

/** Architectures whose tags hold `ref`'s tag, from the container's archTags (empty when it cannot be read). */
export async function otherArches(client: LibraryClient, ref: LibraryReference, arch: string, signal?: AbortSignal): Promise<string[]> {
  const answer = await client.call<{ data?: { archTags?: unknown } }>(`/v1/containers/${ref.path}`, { signal });
  const tags = answer.status === 200 ? answer.data?.data?.archTags : undefined;
  if (!tags || typeof tags !== 'object') return [];
  return Object.entries(tags as Record<string, unknown>)
    .filter(([a, byTag]) => a !== arch && byTag && typeof byTag === 'object' && ref.tags[0] in (byTag as object))
    .map(([a]) => a);
}

export async function resolveImage(
  host: Host,
  client: LibraryClient,
  ref: LibraryReference,
  name: ImageName,
  options: { arch: string; parts?: PartsSetting; signal?: AbortSignal },
): Promise<RemoteImage> {
  const meta = await fetchImage(host, client, ref, options.arch, options.signal);
  const hex = HASH.exec(String(meta.hash))?.[1];
  if (!hex) {
    throw new host.UserError(`${display(ref)} has no sha256 hash in the library (${host.printable(meta.hash, { max: 80 })})`, {
      fix: 'push the image again with a client that sends sha256 hashes',
      code: 'EBADANSWER',
    });
  }
  const api = await client.api(options.signal);
  const url = new URL(`${api}/v1/imagefile/${refPath(ref)}`);
  url.searchParams.set('arch', options.arch);
  // a byte count only: the Registry Server reports megabytes (or null) here, the sha256 check covers the rest
  const size = typeof meta.size === 'number' && Number.isSafeInteger(meta.size) && meta.size > 1024 * 1024 ? meta.size : undefined;
  const entity = ref.entity ?? (typeof meta.entityName === 'string' && meta.entityName ? meta.entityName : 'library');
  const hash = `sha256.${hex}`;
  return {
    name: catalogueName(name, entity, ref),
    version: hash,
    url: url.href,
    headers: client.authorization(),
    size,
    sha256: hex,
    requestedVersion: ref.hash,
    parts: options.parts && options.parts.concurrency > 1 ? options.parts : undefined,
    manifest: { ...meta, arch: meta.arch ?? options.arch, library: host.redactUrl(api) },
    sourceUrl: `library://${new URL(api).host}/${entity}/${ref.collection}/${ref.container}:${hash}`,
    insecure: client.insecure,
  };
}

/** `<entity>/<collection>/<container>:<tag>`: the entity and collection as the catalogue's collection. */
function catalogueName(name: ImageName, entity: string, ref: LibraryReference): ImageName {
  const { collection, image, tag } = catalogueParts(ref, entity);
  const url = `${collection}/${image}`;
  const uri = `${url}:${tag}`;
  return { ...name, registry: undefined, version: undefined, collection, image, tag, url, uri, storage: `${uri}.sif` };
}
