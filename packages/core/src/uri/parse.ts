import type { ImageName } from '../contracts/image-name';
import { UserError } from '../errors';
import { printable } from '../output/untrusted';
import { splitScheme } from './scheme';

export interface ParseOptions {
  /** overrides the parsed tag (push --tag) */
  tag?: string;
  /** overrides the parsed version */
  version?: string;
  /** fill in collection `library` and tag `latest` (default true) */
  defaults?: boolean;
  defaultCollection?: string;
  defaultTag?: string;
  /** lower-case collection, image and tag (default true; the hub keeps case) */
  lowercase?: boolean;
  /** a registry base to remove from the front of the name */
  base?: string;
  /** storage extension (default `sif`) */
  ext?: string;
  /** accept a content digest as the version (`@sha256:<64 hex>`, as OCI references pin a manifest) */
  digestVersions?: boolean;
  /** the form a refused name is told to take (a backend's URI shape), instead of collection/name[:tag][@version] */
  example?: string;
  /** how a login for a host is stored (`<host>` is replaced), told when a URI carries `user:password@host` */
  loginCommand?: string;
}

export type PartialImageName = Omit<ImageName, 'collection' | 'tag'> & { collection?: string; tag?: string };

// Limits follow the original schema's columns (collection 150, name/tag/version 250 characters).
const LIMITS = { collection: 150, image: 250, tag: 250, version: 250 } as const;
const IMAGE_SUFFIX = /\.(sif|simg|img)$/i;
// A registry is a host[:port]; a segment is one path part; tags and versions never contain `/` so that a
// name can never reach outside its storage folder.
const SEGMENT = '[^/:@]+';
const REGISTRY_WITH_DOT = '[^/@]*[.:][^/@]*|localhost';
const TAG = '[^:@/]+';
const REDUCED = new RegExp(`^(?:(${REGISTRY_WITH_DOT})/)?(${SEGMENT})(?::(${TAG}))?(?:@(.+))?$`);
const DEFAULT = new RegExp(`^(?:([^/@]+)/)?((?:${SEGMENT}/)+)(${SEGMENT})(?::(${TAG}))?(?:@(.+))?$`);
// What a host can be: DNS labels (letters, digits, inner hyphens) joined by dots, or [IPv6], with an optional
// :port (`localhost` and IPv4 addresses are labels too). The patterns above are the original's and read any
// first segment with a dot as a registry, so `Bob_Coll.X/name` named a host no DNS can hold.
const LABEL = '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';
const HOST = new RegExp(`^(?:\\[[0-9a-f:.]+\\]|${LABEL}(?:\\.${LABEL})*)(?::\\d{1,5})?$`, 'i');
const ONE_SEGMENT = new RegExp(`^${SEGMENT}$`);

const NAME_EXAMPLE = 'collection/name[:tag][@version], for example vanessa/tacos:latest';

function refuse(input: string, problem: string, example = NAME_EXAMPLE): never {
  throw new UserError(`Invalid image name "${printable(input, { max: 80 })}": ${problem}`, {
    fix: `use ${example}`,
    exitCode: 1,
    code: 'EBADNAME',
  });
}

/** Why a name part breaks the rules every catalogued name keeps (length, `.`/`..`, a leading `-`), else undefined. */
function partRuleProblem(kind: keyof typeof LIMITS, value: string): string | undefined {
  if (value === '.' || value === '..' || value.split('/').some((p) => p === '.' || p === '..' || p === '')) {
    return `the ${kind} "${value}" is not allowed`;
  }
  if (value.length > LIMITS[kind]) return `the ${kind} is longer than ${LIMITS[kind]} characters`;
  if (value.startsWith('-')) return `the ${kind} must not start with "-"`;
  return undefined;
}

function checkPart(input: string, kind: keyof typeof LIMITS, value: string, example?: string): void {
  const problem = partRuleProblem(kind, value);
  if (problem) refuse(input, problem, example);
}

/**
 * Why one part of a name that did not come from parseImageName (a backend's answer) could not have come from it,
 * else undefined: such a name is stored, and a name no command can type could then never be removed.
 */
export function namePartProblem(kind: keyof typeof LIMITS, value: unknown): string | undefined {
  if (typeof value !== 'string') return `the ${kind} is ${value === null ? 'null' : `a ${typeof value}`}, not a string`;
  if (value === '') return `the ${kind} is empty`;
  const shown = printable(value, { max: 80 });
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) return `the ${kind} "${shown}" contains a control character`;
  if (/\s/.test(value)) return `the ${kind} "${shown}" contains white space`;
  if (value.includes('\\')) return `the ${kind} "${shown}" contains a backslash`;
  // a collection has `/` between its segments; a version may be an OCI digest (`sha256:<hex>`)
  if (kind === 'collection' ? /[:@]/.test(value) : /[/:@]/.test(value) && !(kind === 'version' && /^sha256:[0-9a-f]{64}$/.test(value)))
    return `the ${kind} "${shown}" contains ${kind === 'collection' ? '":" or "@"' : '"/", ":" or "@"'}`;
  return partRuleProblem(kind, value)?.replace(`"${value}"`, `"${shown}"`);
}

function pathLike(registry: string): boolean {
  return registry === '' || registry.includes('..') || registry.startsWith('.') || !/[a-z0-9]/i.test(registry);
}

/**
 * Parses an image name as the original client does (client-spec §4.2/§4.3), with its defects fixed:
 * `host:port/coll/name` keeps host:port as the registry, a first segment that cannot be a host name
 * (`Bob_Coll.X/name`) is part of the collection, `.sif/.simg/.img` is removed only as a suffix,
 * and names that could escape the storage folder (`..`, absolute paths, NUL, white space) are refused.
 */
export function parseImageName(input: string, options: ParseOptions & { defaults: false }): PartialImageName;
export function parseImageName(input: string, options?: ParseOptions): ImageName;
export function parseImageName(input: string, options: ParseOptions = {}): ImageName | PartialImageName {
  const defaults = options.defaults ?? true;
  const lowercase = options.lowercase ?? true;
  const ext = options.ext ?? 'sif';
  // every refusal tells the form the backend's names take (options.example), else collection/name[:tag][@version]
  const bad = (problem: string, shown = input): never => refuse(shown, problem, options.example);
  const part = (kind: keyof typeof LIMITS, value: string) => checkPart(input, kind, value, options.example);
  // an empty argument (an unset variable) is a usage error, as every other empty value is (docs/errors.md)
  if (typeof input !== 'string' || input.trim() === '') {
    throw new UserError(`Invalid image name "${printable(String(input ?? ''), { max: 80 })}": the name is empty`, {
      fix: `use ${options.example ?? NAME_EXAMPLE}`,
      code: 'EUSAGE',
    });
  }
  if (/[\u0000-\u001f\u007f]/.test(input)) bad('it contains a control character');
  if (/\s/.test(input)) bad('it contains white space');

  const { scheme, rest } = splitScheme(input);
  // `oras://user:pw@host/…`: the pattern below would read `pw@host/…` as a version; say what it is, never echoing it
  const userinfo = scheme ? /^[^/]*@([^/@]*)\//.exec(rest) : null;
  if (userinfo) {
    const host = printable(userinfo[1], { max: 80 });
    throw new UserError(`the URI has a user name or password before its host (…@${host}): credentials do not go in the URI`, {
      fix: `remove them and log in instead: ${options.loginCommand?.replace(/<host>/g, host) ?? "the backend's login command or settings"}`,
      exitCode: 1,
      code: 'EBADNAME',
    });
  }
  let name = rest;
  if (options.base) {
    const base = options.base.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
    if (base && name.startsWith(`${base}/`)) name = name.slice(base.length);
  }
  if (name.startsWith('/')) bad('absolute paths are not image names');
  name = name.replace(/\/+$/, '');
  name = name.replace(IMAGE_SUFFIX, '');
  if (name === '') bad('the name is empty');
  if (name.includes('\\')) bad('it contains a backslash');

  let registry: string | undefined;
  let collection: string | undefined;
  let image: string;
  let tag: string | undefined;
  let version: string | undefined;
  const reduced = REDUCED.exec(name);
  const full = reduced ? undefined : DEFAULT.exec(name);
  if (reduced) {
    [, registry, image, tag, version] = reduced as unknown as [string, string | undefined, string, string | undefined, string | undefined];
  } else if (full) {
    let coll: string;
    [, registry, coll, image, tag, version] = full as unknown as [
      string,
      string | undefined,
      string,
      string,
      string | undefined,
      string | undefined,
    ];
    collection = coll.replace(/\/+$/, '');
  } else {
    return bad(`it does not look like ${options.example?.split(',')[0] ?? 'collection/name[:tag][@version]'}`);
  }

  // A first segment that cannot be a host is the collection's (registry-api.md §1.3 normalises `Bob_Coll.X`);
  // one that looks like a path (`.`, `.tmp`) or holds a `:` stays a registry and is refused or left to the backend.
  if (registry !== undefined && !HOST.test(registry) && ONE_SEGMENT.test(registry) && !pathLike(registry)) {
    collection = collection === undefined ? registry : `${registry}/${collection}`;
    registry = undefined;
  }

  if (options.tag) tag = options.tag;
  if (options.version) version = options.version;
  if (defaults) {
    collection = collection ?? options.defaultCollection ?? 'library';
    tag = tag ?? options.defaultTag ?? 'latest';
  }
  if (lowercase) {
    collection = collection?.toLowerCase();
    image = image.toLowerCase();
    tag = tag?.toLowerCase();
  }
  version = version?.toLowerCase() || undefined;

  if (collection !== undefined) part('collection', collection);
  part('image', image);
  if (tag !== undefined) {
    part('tag', tag);
    if (/[:@/]/.test(tag)) bad(`the tag "${tag}" contains ":", "@" or "/"`);
  }
  if (version !== undefined) {
    part('version', version);
    const digest = options.digestVersions && /^sha256:[0-9a-f]{64}$/.test(version);
    if (options.digestVersions && !digest && version.startsWith('sha256:')) {
      bad(`"@${version}" is not a digest: pin one as @sha256:<64 hex digits>`);
    }
    // the Registry Server and the Library API spell a digest version with a dot (`sha256.<hex>`); an OCI-style
    // `sha256:<hex>` is that version mistyped: the fix is the whole name, spelt as they take it
    if (!digest && /^sha256:[0-9a-f]{64}$/.test(version)) {
      throw new UserError('Invalid image name: a digest version is written sha256.<hex>, with a dot', {
        fix: `use ${printable(input.replace(/@sha256:/i, '@sha256.'), { max: 200 })}`,
        code: 'EBADNAME',
      });
    }
    if (!digest && /[/:@]/.test(version)) bad(`the version "${version}" contains "/", ":" or "@"`);
  }
  // `./n` or `.tmp/x` is a path, not a host: never look up "." or ".tmp" on the network
  if (registry !== undefined && pathLike(registry)) bad(`the registry "${registry}" is not a host`);

  const url = [registry, collection, image].filter((p) => p !== undefined).join('/');
  const uri = `${url}${tag !== undefined ? `:${tag}` : ''}${version ? `@${version}` : ''}`;
  return {
    original: input,
    scheme,
    registry,
    collection,
    image,
    tag,
    version,
    url,
    uri,
    storage: `${uri}.${ext}`,
  } as ImageName | PartialImageName;
}

/** `collection/name:tag[@version]` of a complete name, without registry. */
export function shortUri(name: Pick<ImageName, 'collection' | 'image' | 'tag' | 'version'>): string {
  return `${name.collection}/${name.image}:${name.tag}${name.version ? `@${name.version}` : ''}`;
}

/** The same name with another version (keeps everything else). */
export function withVersion(name: ImageName, version: string | undefined): ImageName {
  const v = version?.toLowerCase() || undefined;
  const uri = `${name.url}:${name.tag}${v ? `@${v}` : ''}`;
  return { ...name, version: v, uri, storage: `${uri}.${name.storage.split('.').pop() ?? 'sif'}` };
}
