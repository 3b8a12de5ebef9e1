// Secrets travel in URLs (the registry's download links carry the collection secret as a path segment, signed
// storage URLs carry signatures in the query) and in headers. Everything that reaches a message or a debug line
// goes through these helpers first.

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const LONG_HEX = /^[0-9a-f]{32,}$/i;
const MASK = '***';

/** Headers whose values are credentials (lower case). */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token']);

function looksSecret(segment: string): boolean {
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // keep the raw segment
  }
  return UUID.test(decoded) || LONG_HEX.test(decoded);
}

function redactPath(pathname: string): string {
  return pathname
    .split('/')
    .map((segment) => (segment && looksSecret(segment) ? MASK : segment))
    .join('/');
}

function redactQuery(query: string): string {
  if (!query) return '';
  const parts = query
    .replace(/^\?/, '')
    .split('&')
    .filter((part) => part.length > 0)
    .map((part) => {
      const eq = part.indexOf('=');
      return eq === -1 ? part : `${part.slice(0, eq)}=${MASK}`;
    });
  return parts.length ? `?${parts.join('&')}` : '';
}

/**
 * The URL without credentials: userinfo removed, secret-looking path segments (uuid, ≥32 hex chars) and every
 * query value replaced by `***`, fragment dropped. Unparseable input is masked the same way, best effort.
 */
export function redactUrl(url: string | URL): string {
  const text = String(url);
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    const noFragment = text.split('#')[0] ?? '';
    const q = noFragment.indexOf('?');
    const base = (q === -1 ? noFragment : noFragment.slice(0, q)).replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
    return redactPath(base) + redactQuery(q === -1 ? '' : noFragment.slice(q));
  }
  // URL.host never contains userinfo, so building the string by hand drops it.
  return `${parsed.protocol}//${parsed.host}${redactPath(parsed.pathname)}${redactQuery(parsed.search)}`;
}

/** Only scheme, host and port: what error messages name (never a path, which may hold a secret). */
export function urlOrigin(url: string | URL): string {
  try {
    const parsed = new URL(String(url));
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return redactUrl(url);
  }
}

/** A copy of the headers with credential values replaced by `***`. */
export function redactHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    out[name] = SECRET_HEADERS.has(name.toLowerCase()) ? MASK : Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}
