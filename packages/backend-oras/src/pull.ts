// pull: the manifest (an index is followed to the manifest of `pull --arch`, else of this machine's platform), exactly one SIF
// layer, and a RemoteImage for core's download of that blob: core streams, resumes, retries and checks the size
// and sha256 against the layer descriptor. The layer digest is the catalogue version, so the bytes are hashed once.
import { createHash } from 'node:crypto';
import type { ImageName, ImageRecord, RemoteImage } from '@sregistry/core';
import { type OciClient, registryError, type Scope } from './client';
import type { Host, JsonResponse } from './host';
import { ACCEPT_MANIFESTS, DOCKER_LIST, INDEX_MEDIA_TYPE, OLD_SIF_LAYER_MEDIA_TYPE, SIF_LAYER_MEDIA_TYPE } from './media-types';
import type { OciReference } from './reference';

interface Descriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { architecture?: string; os?: string };
}
interface Manifest {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  annotations?: Record<string, string>;
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export async function fetchManifest(
  host: Host,
  client: OciClient,
  ref: OciReference,
  reference: string,
  signal?: AbortSignal,
): Promise<{ manifest: Manifest; digest: string; answer: JsonResponse<Manifest> }> {
  const scope: Scope = { repository: ref.repository, actions: ['pull'] };
  const answer = await client.json<Manifest>(scope, {
    path: `/v2/${ref.repository}/manifests/${encodeURIComponent(reference)}`,
    headers: { Accept: ACCEPT_MANIFESTS },
    signal,
  });
  if (answer.status === 404) {
    throw new host.UserError(`${ref.display} is not in the registry`, {
      fix: `check the name and tag: sregistry search oras://${ref.host}/${ref.repository}`,
      code: 'ENOTFOUND',
    });
  }
  if (answer.status === 403) {
    throw new host.UserError(`${client.registry} refused access to ${ref.repository}`, {
      fix: `check your login: sregistry oras login ${ref.host}`,
      code: 'EPERM',
    });
  }
  const isObject = answer.isJson && answer.data !== null && typeof answer.data === 'object' && !Array.isArray(answer.data);
  // a 200 that is no manifest (a web server's page) is the address's fault, not a status to look into
  if (answer.status === 200 && !isObject) throw client.notRegistry(answer, `the manifest of ${ref.display}`);
  if (answer.status !== 200 || !isObject) {
    const { code, message } = registryError(host, answer);
    throw new host.UserError(
      `${client.registry} answered ${answer.status} for the manifest of ${ref.display}${code ? ` (${code}${message ? `: ${message}` : ''})` : ''}`,
      {
        fix: 'run with --debug to see the exchange',
        code: 'EHTTP',
      },
    );
  }
  const digest = `sha256:${createHash('sha256').update(answer.text).digest('hex')}`;
  if (reference.startsWith('sha256:') && digest !== reference) {
    throw new host.UserError(`the manifest ${client.registry} sent for ${ref.display} has the digest ${digest}`, {
      fix: 'pull again; something on the way changed it',
      code: 'EDIGEST',
    });
  }
  return { manifest: answer.data as Manifest, digest, answer };
}

/**
 * The index entry for `arch` (`pull --arch`, else this machine's, as Apptainer picks by platform): the one linux
 * manifest of that architecture. An entry without a platform is taken only when it is the index's only one.
 */
function pickFromIndex(host: Host, ref: OciReference, index: Manifest, asked: string | undefined): Descriptor {
  const entries = (index.manifests ?? []).filter((m) => typeof m.digest === 'string');
  const arch = asked ?? ARCH[process.arch] ?? process.arch;
  if (entries.length === 1 && !entries[0].platform?.architecture) return entries[0];
  const match = entries.filter((m) => m.platform?.architecture === arch && (!m.platform.os || m.platform.os === 'linux'));
  if (match.length === 1) return match[0];
  const platforms = [
    ...new Set(
      entries
        .filter((m) => m.platform?.architecture)
        .map((m) => host.printable(`${m.platform?.os ?? 'linux'}/${m.platform?.architecture}`, { max: 40 })),
    ),
  ];
  // --arch selects among linux manifests only: a windows/amd64 entry is no choice to offer
  const choices = [
    ...new Set(
      entries
        .filter((m) => m.platform?.architecture && (!m.platform.os || m.platform.os === 'linux'))
        .map((m) => host.printable(m.platform?.architecture, { max: 40 })),
    ),
  ];
  if (match.length === 0) {
    const pin = `oras://${ref.host}/${ref.repository}@sha256:<digest>`;
    throw new host.UserError(
      `${ref.display} has no manifest for linux/${host.printable(arch, { max: 40 })}; it has ${platforms.join(', ') || 'no platforms named'}`,
      {
        fix: choices.length
          ? `pull another architecture with --arch (${choices.join(', ')}), or one manifest by digest: ${pin}`
          : `pull one manifest by digest: ${pin}`,
        code: 'ENOTFOUND',
      },
    );
  }
  throw new host.UserError(`${ref.display} is an index of ${entries.length} manifests, ${match.length} of them for linux/${arch}`, {
    fix: 'pull one of them by digest: oras://<host>/<repository>@sha256:<digest>',
    code: 'EBADANSWER',
  });
}

export async function resolveImage(
  host: Host,
  client: OciClient,
  ref: OciReference,
  name: ImageName,
  options: { signal?: AbortSignal; arch?: string } = {},
): Promise<RemoteImage> {
  const { signal } = options;
  let got = await fetchManifest(host, client, ref, ref.digest ?? ref.tag, signal);
  const type = got.manifest.mediaType ?? got.answer.headers['content-type'];
  const isIndex = type === INDEX_MEDIA_TYPE || type === DOCKER_LIST || Array.isArray(got.manifest.manifests);
  if (isIndex) {
    const chosen = pickFromIndex(host, ref, got.manifest, options.arch);
    got = await fetchManifest(host, client, ref, String(chosen.digest), signal);
  }
  const layers = got.manifest.layers ?? [];
  const sif = layers.filter((l) => l.mediaType === SIF_LAYER_MEDIA_TYPE || l.mediaType === OLD_SIF_LAYER_MEDIA_TYPE);
  if (layers.length !== 1 || sif.length !== 1) {
    const types = [...new Set(layers.map((l) => host.printable(l.mediaType, { max: 80 })))].join(', ') || 'none';
    throw new host.UserError(
      `${ref.display} is not a SIF artifact: it has ${layers.length} layer(s) (${types}), not one ${SIF_LAYER_MEDIA_TYPE}`,
      {
        // only layers of another kind make it a container image; no layers or several SIFs is a broken artifact
        fix:
          layers.length > 0 && sif.length === 0
            ? 'a container image is pulled with docker:// by apptainer; push SIFs with sregistry push or apptainer push oras://'
            : 'ask whoever pushed it to push one SIF again (sregistry push or apptainer push oras://)',
        code: 'ENOTSIF',
      },
    );
  }
  const layer = sif[0];
  const hex = /^sha256:([0-9a-f]{64})$/.exec(String(layer.digest))?.[1];
  if (!hex || !Number.isSafeInteger(layer.size) || (layer.size as number) < 0) {
    throw new host.UserError(`the SIF layer of ${ref.display} has no sha256 digest or size`, {
      fix: 'push the image again',
      code: 'EBADANSWER',
    });
  }
  const scope: Scope = { repository: ref.repository, actions: ['pull'] };
  const authorization = client.authorization(scope);
  const blob = `${client.base}/v2/${ref.repository}/blobs/${layer.digest}`;
  // the tag the catalogue name comes from (none for a manifest pinned without one: its name is the digest's)
  const tag = ref.digest && !ref.tagged ? undefined : ref.tag;
  return {
    // catalogued under the repository path and tag; the record keeps the registry, the manifest and its digest
    name: catalogueName(name, ref),
    version: hex,
    url: blob,
    // core's download drops it on a redirect to another origin (object storage)
    headers: authorization ? { Authorization: authorization } : undefined,
    size: layer.size,
    sha256: hex,
    manifest: {
      registry: ref.host,
      repository: ref.repository,
      reference: ref.digest ?? ref.tag,
      tag,
      digest: got.digest,
      manifest: got.manifest,
    },
    sourceUrl: `oras://${ref.host}/${ref.repository}@${got.digest}`,
    insecure: client.insecure,
    // the layer's type says SIF: other bytes under it are refused and not kept, as Apptainer deletes them
    format: 'sif',
    // :V1 and :v1 are two images on the registry but one lower-case catalogue name: core refuses the pull of one
    // while the catalogue holds the other, so that get never gives another tag's image
    otherSource: (record) => {
      const held = pulledTag(record);
      if (tag === undefined || held === undefined || held === tag) return undefined;
      const m = record.metrics.manifest as { registry?: unknown; repository?: unknown };
      return `${String(m.registry)}/${String(m.repository)}:${held}`;
    },
    // one manifest, not an index: --arch chose nothing, so core warns when the SIF is built for another one
    ...(options.arch && !isIndex ? { expectArch: options.arch } : {}),
  };
}

/** The registry's tag a record was pulled from: `metrics.manifest.tag`, or its `reference` when that is no digest (before the tag was kept). */
function pulledTag(record: ImageRecord): string | undefined {
  const manifest = record.metrics?.manifest as { tag?: unknown; reference?: unknown } | undefined;
  if (!manifest || typeof manifest !== 'object') return undefined;
  if (typeof manifest.tag === 'string') return manifest.tag;
  return typeof manifest.reference === 'string' && !manifest.reference.startsWith('sha256:') ? manifest.reference : undefined;
}

/**
 * `<repository path>:<tag>` without the host (a one-part path is catalogued under `library/`, like other names),
 * lower case as every catalogue name is (its lookups fold case; the record keeps the tag as the registry has it). A
 * manifest pinned without a tag is catalogued under the pin, `sha256.<hex>`, not under a `latest` it may not be.
 */
function catalogueName(name: ImageName, ref: OciReference): ImageName {
  const tag = (ref.digest && !ref.tagged ? ref.digest.replace(':', '.') : name.tag).toLowerCase();
  const collection = name.collection.toLowerCase();
  const image = name.image.toLowerCase();
  const url = `${collection}/${image}`;
  const uri = `${url}:${tag}`;
  return { ...name, registry: undefined, version: undefined, collection, image, tag, url, uri, storage: `${uri}.sif` };
}
