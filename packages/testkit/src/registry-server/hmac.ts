// SREGISTRY-HMAC-SHA256 exactly as the server checks it (registry-api.md §2.2). Written from the spec, not from
// any client code, so the testkit can catch a client that signs the wrong thing.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type HmacKind = 'push' | 'upload' | 'pull' | 'delete' | 'build';

export const HMAC_SCHEME = 'SREGISTRY-HMAC-SHA256';

/** `YYYYMMDDTHHZ` in UTC: the signature is only valid within one clock hour. */
export function hmacTimestamp(date: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}T${p(date.getUTCHours())}Z`;
}

/** `<kind>|<collection>|<timestamp>|<name>|<tag>|` — note the trailing pipe. */
export function hmacPayload(kind: string, collection: string, timestamp: string, name: string, tag: string): string {
  return `${kind}|${collection}|${timestamp}|${name}|${tag}|`;
}

export function hmacSignature(token: string, payload: string): string {
  return createHmac('sha256', Buffer.from(token, 'utf8')).update(Buffer.from(payload, 'utf8')).digest('hex');
}

export interface SignInput {
  username: string;
  token: string;
  collection: string;
  name: string;
  /** Defaults to `latest`, as the server does. */
  tag?: string;
  /** The signer's clock; defaults to now. Pass a skewed date to build an expired signature. */
  date?: Date;
}

/**
 * Builds an `Authorization` value. Signs the fields exactly as given (no lower-casing, no collection
 * normalisation), so tests can also build the wrong signatures a careless client would send.
 */
export function signRequest(kind: HmacKind | string, input: SignInput): string {
  const timestamp = hmacTimestamp(input.date ?? new Date());
  const payload = hmacPayload(kind, input.collection, timestamp, input.name, input.tag ?? 'latest');
  const user64 = Buffer.from(input.username, 'utf8').toString('base64');
  return `${HMAC_SCHEME} Credential=${kind}/${user64}/${timestamp},Signature=${hmacSignature(input.token, payload)}`;
}

/**
 * Thrown where the server's Python header parser throws (wrong number of spaces, an element without `=`, a
 * Credential that is not three `/`-separated parts, bad base64). The server answers those with a bare HTTP 500.
 */
export class MalformedAuthHeader extends Error {}

export interface ParsedAuthHeader {
  scheme: string;
  values: Record<string, string>;
}

/** Mirrors the server: split on spaces into exactly two words, then `,`-separated `key=value` (first `=` only). */
export function parseAuthHeader(header: string): ParsedAuthHeader {
  const words = header.split(' ');
  if (words.length !== 2) throw new MalformedAuthHeader(`expected "<scheme> <params>", got ${words.length} words`);
  const values: Record<string, string> = {};
  for (const entry of words[1].split(',')) {
    const eq = entry.indexOf('=');
    if (eq < 0) throw new MalformedAuthHeader(`element without "=": ${entry}`);
    values[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return { scheme: words[0], values };
}

export interface Credential {
  kind: string;
  username: string;
  timestamp: string;
}

/** Splits `Credential=<kind>/<base64 user>/<ts>`; undefined when absent, throws when malformed. */
export function parseCredential(parsed: ParsedAuthHeader): Credential | undefined {
  const raw = parsed.values.Credential;
  if (raw === undefined) return undefined;
  const parts = raw.split('/');
  if (parts.length !== 3) throw new MalformedAuthHeader('Credential must have three parts');
  const [kind, user64, timestamp] = parts;
  // Python's b64decode raises on bad padding; Node's decoder never throws, so check the shape ourselves.
  if (user64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(user64)) {
    throw new MalformedAuthHeader('Credential username is not base64');
  }
  return { kind, username: Buffer.from(user64, 'base64').toString('utf8'), timestamp };
}

/** The username named in a header (the server's `get_request_user`), before any signature check. */
export function credentialUsername(header: string): string | undefined {
  return parseCredential(parseAuthHeader(header))?.username;
}

export interface VerifyInput {
  kind: HmacKind;
  collection: string;
  name: string;
  tag: string;
  /** The server's own clock (with any injected offset). */
  now: Date;
  /** Token of a user by name, or undefined when no such user exists. */
  tokenFor: (username: string) => string | undefined;
}

/**
 * The server's `validate_request`: scheme, both elements present, kind, **exact** hour equal to the server's own,
 * user exists, constant-time signature compare over the payload rebuilt from the server's values.
 * Returns false for a well-formed but invalid header; throws MalformedAuthHeader where the server crashes.
 */
export function verifyRequest(header: string, input: VerifyInput): boolean {
  // The scheme is checked on the raw string before parsing, so `Bearer x` is merely invalid here; it is the
  // earlier user lookup (credentialUsername) that crashes on it where a view does one.
  if (!header.startsWith(HMAC_SCHEME)) return false;
  const parsed = parseAuthHeader(header);
  if (parsed.scheme !== HMAC_SCHEME) return false;
  if (parsed.values.Signature === undefined || parsed.values.Credential === undefined) return false;
  const cred = parseCredential(parsed);
  if (!cred || cred.kind !== input.kind) return false;
  const serverTs = hmacTimestamp(input.now);
  if (cred.timestamp !== serverTs) return false;
  const token = input.tokenFor(cred.username);
  if (token === undefined) return false;
  const expected = Buffer.from(hmacSignature(token, hmacPayload(input.kind, input.collection, serverTs, input.name, input.tag)));
  const given = Buffer.from(parsed.values.Signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
