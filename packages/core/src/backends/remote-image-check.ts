// What a backend's `resolve` answered is checked before anything is written: a name part with a newline is
// stored as-is and then no command can type it (rmi refuses the name), a size that is a string makes the
// download's size check absurd, a missing name fails as sregistry's own TypeError. Each becomes one EPLUGIN line.
import type { RemoteImage } from '../contracts/backend';
import type { ImageName } from '../contracts/image-name';
import { printable } from '../output/untrusted';
import { namePartProblem } from '../uri/parse';

const HEX = { md5: /^[0-9a-f]{32}$/i, sha256: /^[0-9a-f]{64}$/i } as const;
const OPTIONAL_STRINGS = ['requestedVersion', 'sourceUrl', 'expectArch'] as const;

const kindOf = (value: unknown) =>
  value === undefined ? 'nothing' : value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Why `remote` is no RemoteImage core can use (a phrase after "resolve returned …"), else undefined. */
export function remoteImageProblem(remote: unknown): string | undefined {
  if (!isObject(remote)) return `${kindOf(remote)} instead of an image`;
  const name = nameProblem(remote.name);
  if (name) return name;
  if (remote.version != null) {
    const version = namePartProblem('version', remote.version);
    if (version) return `a version that is not usable (${version})`;
  }
  if (typeof remote.url !== 'string' || !/^https?:$/.test(urlProtocol(remote.url) ?? '')) {
    return `a url that is not an http(s) address (${typeof remote.url === 'string' ? `"${printable(remote.url, { max: 80 })}"` : kindOf(remote.url)})`;
  }
  if (remote.headers != null && !(isObject(remote.headers) && Object.values(remote.headers).every((v) => typeof v === 'string'))) {
    return 'headers that are not an object of strings';
  }
  if (remote.size != null && !(Number.isSafeInteger(remote.size) && (remote.size as number) >= 0)) {
    return `a size that is not a whole number of bytes (${typeof remote.size === 'string' ? `"${printable(remote.size, { max: 40 })}"` : kindOf(remote.size)})`;
  }
  for (const digest of ['md5', 'sha256'] as const) {
    const value = remote[digest];
    if (value != null && !(typeof value === 'string' && HEX[digest].test(value))) {
      return `an ${digest} that is not ${digest === 'md5' ? 32 : 64} hex digits`;
    }
  }
  if (remote.manifest != null && !isObject(remote.manifest)) return `a manifest that is ${kindOf(remote.manifest)}, not an object`;
  for (const field of OPTIONAL_STRINGS) {
    if (remote[field] != null && typeof remote[field] !== 'string') return `a ${field} that is ${kindOf(remote[field])}, not a string`;
  }
  const parts = remote.parts;
  if (parts != null && !(isObject(parts) && [parts.size, parts.concurrency].every((n) => Number.isSafeInteger(n) && (n as number) > 0))) {
    return 'parts that are not { size, concurrency } of positive whole numbers';
  }
  if (remote.format != null && remote.format !== 'sif')
    return `a format that is not "sif" (${printable(String(remote.format), { max: 40 })})`;
  if (remote.otherSource != null && typeof remote.otherSource !== 'function') return 'an otherSource that is not a function';
  return undefined;
}

function nameProblem(name: unknown): string | undefined {
  if (!isObject(name)) return `${kindOf(name)} as the name`;
  for (const kind of ['collection', 'image', 'tag'] as const) {
    const problem = namePartProblem(kind, name[kind]);
    if (problem) return `a name that cannot be catalogued (${problem})`;
  }
  if (name.version != null) {
    const problem = namePartProblem('version', name.version);
    if (problem) return `a name that cannot be catalogued (${problem})`;
  }
  // a host[:port], as parseImageName reads one
  if (name.registry != null && !(typeof name.registry === 'string' && /^[^\s\u0000-\u001f\u007f-\u009f@\\]+$/.test(name.registry))) {
    return `a name whose registry is not a host (${typeof name.registry === 'string' ? `"${printable(name.registry, { max: 80 })}"` : kindOf(name.registry)})`;
  }
  return undefined;
}

function urlProtocol(url: string): string | undefined {
  try {
    return new URL(url).protocol;
  } catch {
    return undefined;
  }
}

/**
 * The answer as core uses it: absent optional fields that a plain-JavaScript backend wrote as null are left out,
 * a missing manifest is `{}`, and the name's derived strings (url, uri, storage) are made again from its checked
 * parts, so that no unchecked string of the backend's is stored or printed as the name.
 */
export function usableRemoteImage(remote: RemoteImage): RemoteImage {
  const cleaned = withoutNulls(remote as unknown as Record<string, unknown>) as unknown as RemoteImage;
  const name = withoutNulls(remote.name as unknown as Record<string, unknown>) as unknown as ImageName;
  const url = [name.registry, name.collection, name.image].filter((p) => p !== undefined).join('/');
  const uri = `${url}:${name.tag}${name.version ? `@${name.version}` : ''}`;
  const ext = typeof name.storage === 'string' ? /\.([a-z0-9]{1,8})$/i.exec(name.storage)?.[1] : undefined;
  const original = typeof name.original === 'string' ? name.original : uri;
  return { ...cleaned, manifest: cleaned.manifest ?? {}, name: { ...name, url, uri, storage: `${uri}.${ext ?? 'sif'}`, original } };
}

function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
}

/** `answer` as a RemoteImage core can use, or the EPLUGIN error naming the backend, its plugin and the field. */
export function checkedRemoteImage(
  backends: { unusableAnswer(name: string, what: string): Error },
  backend: string,
  answer: unknown,
): RemoteImage {
  const problem = remoteImageProblem(answer);
  if (problem) throw backends.unusableAnswer(backend, `gave an answer to pull that cannot be used (resolve returned ${problem})`);
  return usableRemoteImage(answer as RemoteImage);
}
