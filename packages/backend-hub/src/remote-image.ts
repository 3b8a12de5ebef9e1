import type { BackendContext, ImageName, RemoteImage } from '@sregistry/core';
import { insecure } from './api';
import { notFinished, unexpected } from './errors';
import { type HubRef, refText } from './ref';
import type { Resolution } from './resolve';

/**
 * The manifest as kept in the record. For legacy `.img.gz` builds the Hub's version is the md5 of the
 * *decompressed* image, so `md5` stays unset (it would fail the gzip's own download) and the manifest carries
 * `expectGunzippedMd5`, which the core's pull checks after `--gunzip`.
 */
export type HubManifest = Record<string, unknown> & { expectGunzippedMd5?: string };

const MD5 = /^[0-9a-f]{32}$/;
const TAG = /^[A-Za-z0-9._-]{1,64}$/;
const VERSION = /^[A-Za-z0-9._-]{1,250}$/;

/**
 * The catalogue name follows sregistry-cli: `<user>/<repo>:<manifest tag>@<manifest version>`, without the
 * host (the original stored the manifest's name only). The tag is the manifest's because the archive answers
 * `latest` with the newest build when the collection has no real `latest`. Case matters only for the lookup:
 * the name is lower-cased here, as the original's `add` did, so the record and the storage path match what
 * local commands (`get Vsoch/Hello`, which lower-case) look for.
 */
export function toRemoteImage(ctx: BackendContext, requested: ImageName, ref: HubRef, found: Resolution): RemoteImage {
  const { manifest } = found;
  const what = refText(ref);
  const image = manifest.image;
  if (image === null || image === undefined || image === '') throw notFinished(ctx, what);
  if (typeof image !== 'string') throw unexpected(ctx, what, 'the manifest\'s "image" is not a URL');
  let url: URL;
  try {
    url = new URL(image, found.url);
  } catch {
    throw unexpected(ctx, what, `the image URL "${image.slice(0, 80)}" is not valid`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw unexpected(ctx, what, `the image URL is not http(s): ${url.protocol}`);

  const rawVersion = typeof manifest.version === 'string' ? manifest.version.toLowerCase() : undefined;
  const version = rawVersion && VERSION.test(rawVersion) ? rawVersion : undefined;
  const tag = typeof manifest.tag === 'string' && TAG.test(manifest.tag) ? manifest.tag : (ref.tag ?? 'latest');
  const name = catalogueName(ctx, requested, ref, tag, version);

  const gzipped = /\.gz$/i.test(url.pathname);
  // an `@md5` asked for is what the file must hash to, whatever the manifest says (resolve checked it agrees)
  const pinned = ref.digest && MD5.test(ref.digest) ? ref.digest : undefined;
  const md5 = pinned ?? (version && MD5.test(version) ? version : undefined);
  const kept: HubManifest = md5 && gzipped ? { ...manifest, expectGunzippedMd5: md5 } : manifest;
  return {
    name,
    version,
    url: url.toString(),
    ...(md5 && !gzipped ? { md5, ...(pinned ? { requestedVersion: pinned } : {}) } : {}),
    manifest: kept,
    sourceUrl: found.url,
    insecure: insecure(ctx),
  };
}

function catalogueName(ctx: BackendContext, requested: ImageName, ref: HubRef, tag: string, version: string | undefined): ImageName {
  const text = `${ref.user}/${ref.repo}:${tag}${version ? `@${version}` : ''}`;
  let parsed: ImageName;
  try {
    parsed = ctx.host.parseImageName(text);
  } catch {
    ctx.log.warn(
      `Singularity Hub's manifest for ${refText(ref)} has a tag or version that cannot name an image; keeping the requested name`,
    );
    parsed = ctx.host.parseImageName(`${ref.user}/${ref.repo}:${ref.tag ?? 'latest'}`);
  }
  return { ...parsed, original: requested.original, scheme: requested.scheme };
}
