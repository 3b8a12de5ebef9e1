// library://[host/]entity/collection/container[:tag[,tag2…]][@sha256.<hex>] → the Library API reference, with the
// short forms Apptainer accepts: `library://<container>` is library/default/<container>, `library://<collection>/
// <container>` leaves the entity to the server, `:<tag>` defaults to latest and `:sha256.<hex>` or `@sha256.<hex>`
// pins an image. Parts are lower case (`[a-z0-9]+([._-][a-z0-9]+)*`, as the library's own parser). The generic
// name parser reads a three-part path as registry/collection/name, so the reference is read from the original.
import type { ImageName } from '@sregistry/core';
import type { Host } from './host';

export interface LibraryReference {
  /** host[:port] when the URI names one */
  host?: string;
  /** undefined for a two-part reference (the server's default entity) */
  entity?: string;
  collection: string;
  container: string;
  /** the tags asked for (push may give several, comma-separated); `latest` when none is given */
  tags: string[];
  /** whether the URI names the tags (else they are the default, latest) */
  tagged: boolean;
  /** `sha256.<hex>` when the reference pins an image */
  hash?: string;
  /** `[entity/]collection/container`, as the API paths take it */
  path: string;
}

const PART = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const HASH = /^sha256\.[0-9a-f]{64}$/;
/** A tag the library reads as a pin (the Registry Server does so for any tag starting `sha256.`): it must be one. */
const PIN = /^sha256\./i;
const PIN_FIX = 'pin an image as @sha256.<64 lower-case hex digits>';
const EXAMPLE = 'for example library://entity/collection/container:tag';

/** Reads `library://…` (or the same without the scheme, for the active backend). */
export function parseReference(host: Host, input: string): LibraryReference {
  const { UserError } = host;
  const bad = (problem: string, fix = `write library://[host/]entity/collection/container[:tag], ${EXAMPLE}`) =>
    new UserError(`"${host.printable(input, { max: 120 })}" ${problem}`, { fix, code: 'EBADNAME' });
  let rest = input.trim().replace(/^library:\/\//i, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rest)) throw bad('is not a library:// URI');
  rest = rest.replace(/\/+$/, '');
  let hash: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    hash = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!HASH.test(hash)) throw bad('pins something that is not an image hash', PIN_FIX);
  }
  const parts = rest.split('/');
  let hostPart: string | undefined;
  // a first part with a port, or the fourth part, is the server
  if (parts.length === 4 || (parts.length > 1 && /:\d+$/.test(parts[0])) || (parts.length > 1 && parts[0] === 'localhost')) {
    hostPart = parts.shift();
  }
  const last = parts.pop() ?? '';
  const colon = last.indexOf(':');
  const container = colon >= 0 ? last.slice(0, colon) : last;
  const tagText = colon >= 0 ? last.slice(colon + 1) : '';
  parts.push(container);
  if (parts.length < 1 || parts.length > 3 || parts.some((p) => p === '')) {
    throw bad('is not [host/]entity/collection/container');
  }
  const wrong = parts.find((p) => !PART.test(p));
  if (wrong !== undefined) {
    const lower = wrong.toLowerCase() !== wrong && PART.test(wrong.toLowerCase());
    throw bad(
      `has "${host.printable(wrong, { max: 60 })}", which is not a library name${lower ? ' (library names are lower case)' : ''}`,
      `use lower-case letters and digits with . _ - between them${lower ? `, e.g. ${wrong.toLowerCase()}` : ''}`,
    );
  }
  let tags = tagText === '' ? [] : tagText.split(',');
  // `:sha256.<hex>` pins as `@sha256.<hex>` does, and is checked the same way before any request
  if (tags.length === 1 && PIN.test(tags[0]) && !HASH.test(tags[0])) throw bad('pins something that is not an image hash', PIN_FIX);
  if (tags.length === 1 && HASH.test(tags[0])) {
    if (hash && hash !== tags[0]) throw bad('pins two different hashes');
    hash = tags[0];
    tags = [];
  }
  const badTag = tags.find((t) => !TAG.test(t) || PIN.test(t));
  if (badTag !== undefined) {
    throw bad(`has the tag "${host.printable(badTag, { max: 60 })}", which is not a valid tag`, 'use letters, digits, _ . - (at most 128)');
  }
  const tagged = tags.length > 0;
  if (tags.length === 0) tags = ['latest'];
  const [entity, collection] =
    parts.length === 3 ? [parts[0], parts[1]] : parts.length === 2 ? [undefined, parts[0]] : ['library', 'default'];
  const path = `${entity ? `${entity}/` : ''}${collection}/${container}`;
  return { host: hostPart, entity, collection, container, tags, tagged, hash, path };
}

export function toReference(host: Host, name: ImageName): LibraryReference {
  const ref = parseReference(host, name.original);
  // `push --tag` arrives as the name's tag, beside an original that may name another (the generic parser has lower-cased it)
  const given = name.tag;
  if (!given || ref.hash || given.toLowerCase() === ref.tags.join(',').toLowerCase()) return ref;
  const tags = given.split(',');
  const badTag = tags.find((t) => !TAG.test(t) || PIN.test(t));
  if (badTag !== undefined) {
    throw new host.UserError(`the tag "${host.printable(badTag, { max: 60 })}" is not a valid tag`, {
      fix: 'use letters, digits, _ . - (at most 128)',
      code: 'EBADNAME',
    });
  }
  return { ...ref, tags, tagged: true };
}

/**
 * What a pull catalogues a reference as: `<entity>/<collection>` as the collection, the container as the image,
 * and the first tag, or the pin for an image pinned without a tag (not a `latest` it may not be).
 */
export function catalogueParts(ref: LibraryReference, entity: string): { collection: string; image: string; tag: string } {
  return {
    collection: `${entity}/${ref.collection}`,
    image: ref.container,
    tag: (ref.hash && !ref.tagged ? ref.hash : ref.tags[0]).toLowerCase(),
  };
}

/**
 * The catalogue name a pull of `input` records, when the URI names the entity (the short form's is `library`):
 * `<entity>/<collection>/<container>:<tag>[@<hash>]`. A two-part URI leaves the entity to the server: undefined.
 */
export function localName(input: string, host: Host): string | undefined {
  const ref = parseReference(host, input);
  if (!ref.entity) return undefined;
  const { collection, image, tag } = catalogueParts(ref, ref.entity);
  return `${collection}/${image}:${tag}${ref.hash && tag !== ref.hash ? `@${ref.hash}` : ''}`;
}

/** `path:tag` (the first tag) or `path:sha256.<hex>`: what /v1/images and /v1/imagefile take. */
export function refPath(ref: LibraryReference): string {
  return `${ref.path}:${ref.hash ?? ref.tags[0]}`;
}

/** For messages: `library://[host/]path:tag[,tag2…]` or `…:sha256.<hex>`. */
export function display(ref: LibraryReference): string {
  return `library://${ref.host ? `${ref.host}/` : ''}${ref.path}:${ref.hash ?? ref.tags.join(',')}`;
}

/** The machine's architecture in the library's words (Go's GOARCH). */
export function machineArch(arch: string = process.arch): string {
  const map: Record<string, string> = {
    x64: 'amd64',
    ia32: '386',
    arm64: 'arm64',
    arm: 'arm',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
  };
  return map[arch] ?? arch;
}
