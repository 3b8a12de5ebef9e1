// pull: name → manifest → RemoteImage. The core downloads, hashes, checks and catalogues; the download URL
// carries the collection secret (the URL is the capability), so no Authorization header goes with it.
import type { ImageName, PullOptions, RemoteImage } from '@sregistry/core';
import { sameVersion, versionDigest } from './digest';
import { plainUri } from './endpoints';
import { frozenAlias } from './frozen-alias';
import { type Manifest, readManifest } from './manifest';
import { serverName } from './names';
import type { Runtime } from './runtime';

export async function resolveImage(rt: Runtime, requested: ImageName, options: PullOptions = {}): Promise<RemoteImage> {
  let name = serverName(rt, requested);
  const location = rt.location(name);
  // `@version` is sent as the user wrote it; the server answers the tag's current version whatever it says
  let manifest: Manifest;
  try {
    manifest = await readManifest(rt, name, location, options.signal, { withVersion: true });
  } catch (error) {
    // `search collection/` lists a frozen container as `collection/name:<version>`: the name it shows must pull
    const alias = (error as { code?: string }).code === 'ENOTFOUND' ? await frozenAlias(rt, name, options.signal) : undefined;
    if (!alias) throw error;
    name = alias;
    manifest = await readManifest(rt, name, location, options.signal, { withVersion: true });
  }
  const data = manifest.data;
  const image = downloadUrl(rt, data.image, location.root, name);
  const version = typeof data.version === 'string' ? data.version : undefined;
  if (name.version) checkRequestedVersion(rt, name, version);
  // The digests to check the download against: the requested version's, and the server's where the requested
  // one does not say (an md5 asked for while the server already reports sha256.<hex>, or the other way round).
  const wanted = versionDigest(name.version);
  const held = versionDigest(version);
  const digest = (kind: 'md5' | 'sha256') => (wanted?.kind === kind ? wanted.hex : held?.kind === kind ? held.hex : undefined);
  return {
    name: catalogueName(rt, data, name),
    // left out on purpose: the core records the file's SHA-256 as the version, like the original
    version: undefined,
    url: image,
    md5: digest('md5'),
    sha256: digest('sha256'),
    ...(name.version ? { requestedVersion: name.version } : {}),
    // `selfLink` as the original added it: where this manifest was read
    // the download URL carries the collection's secret (it fetches private images without a token): the
    // catalogue keeps the manifest, so it keeps the URL with that part masked
    manifest: { ...data, image: rt.host.redactUrl(image), selfLink: manifest.url },
    // the record's url is the download URL, as the original stored it (client-spec §6.4 step 7), masked the same way
    sourceUrl: rt.host.redactUrl(image),
    insecure: rt.ctx.settings.getBoolean('SREGISTRY_HTTPS_NOVERIFY'),
  };
}

/**
 * The server keeps one version per tag and ignores `@version` in a GET: a manifest of another version is refused
 * before anything is downloaded. When the two forms cannot be compared (the md5 and the sha256.<hex> of the
 * same push), the download itself is checked against the requested version.
 */
function checkRequestedVersion(rt: Runtime, name: ImageName, held: string | undefined): void {
  const same = held === undefined ? undefined : sameVersion(name.version!, held);
  if (same !== false) return;
  throw new rt.host.UserError(
    `the registry holds ${plainUri({ ...name, version: undefined })} at version ${rt.host.printable(held)}, not ${name.version}`,
    {
      fix: `the registry keeps one version per tag: pull ${plainUri({ ...name, version: undefined })} for the current one`,
      code: 'EVERSION',
    },
  );
}

function downloadUrl(rt: Runtime, image: unknown, root: string, name: ImageName): string {
  if (typeof image !== 'string' || image.trim() === '') {
    throw new rt.host.UserError(`the registry's manifest for ${name.collection}/${name.image}:${name.tag} has no download URL ("image")`, {
      fix: 'the image may have been pushed with `singularity push library://…`; pull it the same way, or push it again with sregistry',
      code: 'EBADANSWER',
    });
  }
  let url: URL;
  try {
    url = new URL(image, `${root}/`);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new rt.host.UserError(`the registry's download URL for ${name.collection}/${name.image}:${name.tag} is not an http(s) URL`, {
      fix: "the registry's DOMAIN_NAME setting is probably wrong: tell its administrator",
      code: 'EBADANSWER',
    });
  }
  return url.toString();
}

/**
 * The name the image is catalogued under: the manifest's collection/name/tag (what the server says it is), as
 * the original did; the requested name when the manifest's fields do not make a valid name.
 */
function catalogueName(rt: Runtime, data: Record<string, unknown>, requested: ImageName): ImageName {
  const { collection, name, tag } = data;
  if (typeof collection === 'string' && typeof name === 'string' && typeof tag === 'string' && !collection.includes('/')) {
    try {
      const parsed = rt.host.parseImageName(`${collection}/${name}:${tag}`);
      if (parsed.collection === collection.toLowerCase() && parsed.image === name.toLowerCase() && parsed.tag === tag.toLowerCase()) {
        return { ...parsed, original: requested.original, scheme: requested.scheme };
      }
    } catch {
      // not a valid name: fall through
    }
  }
  rt.log.debug('the manifest does not name the image plainly: cataloguing it under the requested name');
  const url = `${requested.collection}/${requested.image}`;
  const uri = `${url}:${requested.tag}`;
  return { ...requested, registry: undefined, version: undefined, url, uri, storage: `${uri}.sif` };
}
