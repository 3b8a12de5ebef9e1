// SREGISTRY-HMAC-SHA256, the native API's request signature (client-spec §6.2, registry-api.md §2.2).
// The server rebuilds the payload with its own clock and its own (normalised) names, so every detail here
// (hour-resolution UTC timestamp, field order, trailing pipe, no spaces after commas) must match exactly.
import { createHmac } from 'node:crypto';

export type SignatureKind = 'push' | 'upload' | 'pull' | 'delete' | 'build';

export const HMAC_SCHEME = 'SREGISTRY-HMAC-SHA256';

export interface SignatureFields {
  username: string;
  token: string;
  collection: string;
  name: string;
  tag: string;
  /** the signer's clock (default now); the signature is valid only within this UTC hour */
  date?: Date;
}

/** `YYYYMMDDTHHZ` in UTC, e.g. `20261127T05Z`. */
export function hmacTimestamp(date: Date = new Date()): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}T${two(date.getUTCHours())}Z`;
}

/** `<kind>|<collection>|<timestamp>|<name>|<tag>|` — the trailing pipe is part of the server's rule. */
export function signaturePayload(kind: SignatureKind, fields: Omit<SignatureFields, 'username' | 'token'>): string {
  return `${kind}|${fields.collection}|${hmacTimestamp(fields.date)}|${fields.name}|${fields.tag}|`;
}

/** Lower-case hex HMAC-SHA256 of the payload, keyed with the token (both UTF-8). */
export function signature(kind: SignatureKind, fields: SignatureFields): string {
  return createHmac('sha256', Buffer.from(fields.token, 'utf8'))
    .update(Buffer.from(signaturePayload(kind, fields), 'utf8'))
    .digest('hex');
}

/** The full `Authorization` value: `SREGISTRY-HMAC-SHA256 Credential=<kind>/<b64 user>/<ts>,Signature=<hex>`. */
export function authorizationHeader(kind: SignatureKind, fields: SignatureFields): string {
  const user64 = Buffer.from(fields.username, 'utf8').toString('base64');
  return `${HMAC_SCHEME} Credential=${kind}/${user64}/${hmacTimestamp(fields.date)},Signature=${signature(kind, fields)}`;
}

/**
 * The collection name as the server stores and signs it on push: every run of non-alphanumeric characters
 * becomes `-`, leading/trailing `-` go, lower case. Signing the raw name (`Bob_Coll.X`) would be refused.
 */
export function normaliseCollection(name: string): string {
  return name
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
}
