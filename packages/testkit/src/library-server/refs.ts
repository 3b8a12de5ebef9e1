// Image references as the Library API paths carry them: `entity/collection/container[:tag]`, with `:sha256.<hex>`
// or `@sha256.<hex>` pinning an image by hash; `:` alone means `latest`. Names are the library's lowercase
// `[a-z0-9]+([._-][a-z0-9]+)*` (hub-sif-library.md C.1); anything else is simply not found.

export interface ImageRef {
  entity: string;
  collection: string;
  container: string;
  /** A tag or `sha256.<hex>`. */
  tag: string;
}

const NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export const HASH = /^sha256\.[0-9a-f]{64}$/;

export function isName(s: string): boolean {
  return NAME.test(s);
}

export function parseImageRef(text: string): ImageRef | undefined {
  const at = text.indexOf('@');
  let path = text;
  let tag = 'latest';
  if (at >= 0) {
    path = text.slice(0, at);
    tag = text.slice(at + 1);
    if (!HASH.test(tag)) return undefined;
  } else {
    const colon = text.indexOf(':');
    if (colon >= 0) {
      path = text.slice(0, colon);
      tag = text.slice(colon + 1) || 'latest';
    }
  }
  const parts = path.split('/');
  if (parts.length !== 3 || !parts.every(isName) || !TAG.test(tag)) return undefined;
  const [entity, collection, container] = parts as [string, string, string];
  return { entity, collection, container, tag };
}

/**
 * The Registry Server's reading of a ref: `[entity/]collection/name:tag`, or `name:sha256.<hex>`; 1 to 3 name
 * parts, the tag (or `@`/`:` hash) as in parseImageRef.
 */
export function parseLooseRef(text: string): { parts: string[]; tag: string } | undefined {
  const at = text.indexOf('@');
  const colon = text.indexOf(':');
  const cut = at >= 0 ? at : colon;
  const path = cut >= 0 ? text.slice(0, cut) : text;
  const tag = cut >= 0 ? text.slice(cut + 1) || 'latest' : 'latest';
  if (at >= 0 && !HASH.test(tag)) return undefined;
  const parts = path.split('/');
  if (parts.length > 3 || !parts.every(isName) || !TAG.test(tag)) return undefined;
  if (parts.length === 1 && !HASH.test(tag)) return undefined;
  return { parts, tag };
}

/** `entity/collection/container[:tag[,tag2…]]` as the seeds and the CLI take it. */
export function parseSeedRef(text: string): { entity: string; collection: string; container: string; tags: string[] } {
  const colon = text.indexOf(':');
  const path = colon >= 0 ? text.slice(0, colon) : text;
  const tags = colon >= 0 ? text.slice(colon + 1).split(',') : ['latest'];
  const parts = path.split('/');
  if (parts.length !== 3 || !parts.every(isName) || !tags.every((t) => TAG.test(t) && !HASH.test(t)))
    throw new Error(`library-server: a seed ref is entity/collection/container[:tag[,tag…]] in lowercase, got ${JSON.stringify(text)}`);
  const [entity, collection, container] = parts as [string, string, string];
  return { entity, collection, container, tags };
}
