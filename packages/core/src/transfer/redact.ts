// Secrets travel in URLs (the registry's download links carry the collection secret as a path segment, signed
// storage URLs carry signatures in the query), in headers, and in whatever a server or proxy echoes back of them.
// Everything that reaches a message, a debug line, a --json document or the catalogue goes through these
// helpers first (`printable` and `jsonText` in output/untrusted.ts apply them to text from outside).

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

/**
 * The schemes whose paths may carry a secret: web links (the registry's download links put the collection secret
 * in a path segment). An image URI's path (`oras://host/<repository>`, `library://<collection>/<name>`) is the
 * image's name, which the user typed or the registry lists: a name of 32 hex digits is still a name, and masking
 * it made a fix line ask for `sregistry search oras://host/demo/***`.
 */
const PATH_SECRET_SCHEME = /^(?:https?|wss?|ftps?):/i;

/** `scheme` undefined: a bare path (`/v2/…/blobs/uploads/<uuid>`), masked like a web URL's. */
function redactPath(pathname: string, scheme: string | undefined): string {
  if (scheme !== undefined && !PATH_SECRET_SCHEME.test(scheme)) return pathname;
  return pathname
    .split('/')
    .map((segment) => (segment && looksSecret(segment) ? MASK : segment))
    .join('/');
}

/**
 * The words that name a credential, the one list behind every name-based mask: JSON field names (untrusted.ts),
 * query keys and `name=value` or `"name": "value"` pairs in text (below). Each use adds only what its shape needs.
 */
export const CREDENTIAL_WORDS = 'token|secret|passw(?:or)?d|passphrase|api[-_]?key|credential|signature';

// Query keys: besides the words, those that carry credentials in signed storage URLs (S3 `X-Amz-*`, GCS
// `X-Goog-*`, Azure SAS `sig`, `se`, `sp`, …) and in links handed out with a code or one-time password.
const SECRET_QUERY_KEY = new RegExp(
  `${CREDENTIAL_WORDS}|sig|key|cred|auth|pass|expire|policy|session|amz|goog|otp|code|nonce|ticket|jwt|hmac|^(se|sp|sv|st|sr|skoid)$`,
  'i',
);

/** A query value is masked when its key or its shape says credential; `?dir=/shub` and `?arch=amd64` stay readable. */
function secretQueryPart(key: string, value: string): boolean {
  return SECRET_QUERY_KEY.test(key) || value.length >= 12 || looksSecret(value);
}

function redactQuery(query: string, onlySecret = false): string {
  if (!query) return '';
  const parts = query
    .replace(/^\?/, '')
    .split('&')
    .filter((part) => part.length > 0)
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq === -1) return part;
      const key = part.slice(0, eq);
      return onlySecret && !secretQueryPart(key, part.slice(eq + 1)) ? part : `${key}=${MASK}`;
    });
  return parts.length ? `?${parts.join('&')}` : '';
}

/**
 * The URL without credentials: userinfo removed, secret-looking path segments of web URLs and bare paths (uuid,
 * ≥32 hex chars; PATH_SECRET_SCHEME) and the query values that may be credentials (by key or shape,
 * secretQueryPart) replaced by `***`, fragment dropped; with `allQuery`, every query value. Unparseable input is
 * masked the same way, best effort.
 */
export function redactUrl(url: string | URL, options: { allQuery?: boolean } = {}): string {
  const text = String(url);
  const only = !options.allQuery;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    const noFragment = text.split('#')[0] ?? '';
    const q = noFragment.indexOf('?');
    const base = (q === -1 ? noFragment : noFragment.slice(0, q)).replace(
      /^([a-z][a-z0-9+.-]*:\/\/)([^/@:]*)(?::[^/@]*)?@/i,
      (_all, scheme: string, user: string) => `${scheme}${keepsUser(scheme, user) ? `${user}@` : ''}`,
    );
    return redactPath(base, /^[a-z][a-z0-9+.-]*:/i.exec(base)?.[0]) + redactQuery(q === -1 ? '' : noFragment.slice(q), only);
  }
  // URL.host never contains userinfo, so building the string by hand drops it (a PostgreSQL role is put back).
  const user = keepsUser(`${parsed.protocol}//`, parsed.username) ? `${parsed.username}@` : '';
  return `${parsed.protocol}//${user}${parsed.host}${redactPath(parsed.pathname, parsed.protocol)}${redactQuery(parsed.search, only)}`;
}

/**
 * The URL as redactUrl spells it when it masks nothing (the parser's encoding, a `/` after a bare origin), or
 * undefined when it has userinfo or a fragment (which redactUrl drops, so they always count as masked).
 */
function unmaskedSpelling(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password || parsed.hash) return undefined;
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search}`;
  } catch {
    return url;
  }
}

/**
 * A PostgreSQL URL keeps its user (the role, never the password): messages name a team catalogue as
 * `postgresql://user@host:port/db`, which says whose login it was. Other schemes' user parts may be tokens.
 */
function keepsUser(scheme: string, user: string): boolean {
  return /^postgres(ql)?:\/\/$/i.test(scheme) && user !== '' && !looksSecret(user);
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

/** Values we hold that must never be shown (tokens read from settings), whatever text they turn up in. */
const heldSecrets = new Set<string>();

/** Remembers a credential so that redactText masks it wherever it appears (a server may echo it back). */
export function rememberSecret(value: string | undefined): void {
  // short values would mask ordinary words; real tokens are long
  if (value && value.trim().length >= 8) heldSecrets.add(value.trim());
}

// An HMAC Authorization value: the scheme and everything up to the next white space or quote.
const HMAC_VALUE = /SREGISTRY-HMAC-SHA256[ \t]+[^\s"'<>]+/gi;
const SIGNED_PARTS = /\b(Credential|Signature)=[^\s,&"'<>]+/gi;
// `Authorization: …`, `"authorization": "…"` and the like, as a proxy's error page or a debug dump shows them:
// the value is a scheme and a credential (two words at most), or for cookies the rest of the line. A backslash
// ends it too, so text that was escaped before is not swallowed when it is redacted again.
const HEADER_ECHO =
  /\b(authorization|proxy-authorization|x-api-key|x-auth-token)(["']?[ \t]*[:=][ \t]*["']?)((?:[A-Za-z][\w-]*[ \t]+)?[^\s"'\\;]+)/gi;
const COOKIE_ECHO = /\b(cookie|set-cookie)(["']?[ \t]*[:=][ \t]*["']?)[^\r\n"'\\]+/gi;
// `Bearer <token>`, `Basic <base64>`, DRF's `Token <hex>`; the value must look like a credential (a digit or
// padding in it), so prose such as "Invalid token header" stays readable.
const SCHEME_VALUE = /\b(Bearer|Basic|Token|Digest)([ \t]+)([A-Za-z0-9._~+/=:-]{8,})/g;
// A credential echoed as a form field or query pair (`password=hunter2`, `access_token=…`) or as a quoted JSON
// member (`"token": "…"`). Only these two shapes: a word after `token:` in prose ("invalid token: expired") stays.
const SECRET_NAMES = `(?:access_|refresh_|id_|auth_|api_|client_)?(?:${CREDENTIAL_WORDS})`;
const PAIR_SECRET = new RegExp(`\\b(${SECRET_NAMES})=([^\\s"'\\\\,;&<>]+)`, 'gi');
const JSON_SECRET = new RegExp(`"(${SECRET_NAMES})"([ \\t]*:[ \\t]*)"(?:[^"\\\\]|\\\\.)*"`, 'gi');
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]+/gi;
/** The sentence's punctuation at the end of a URL found in text (`:`, `.`, `,`, `;`, `!`, `?`, `)`). */
const PROSE_AFTER_URL = /[:.,;!?)]*$/;

const OPENER: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/**
 * The end of a masked value's match that belongs to the enclosing text: a closing bracket the value did not open
 * while the text before it left one open (`(… send Authorization: Bearer <token>)` kept its `)`), with the
 * sentence's punctuation after it. Nothing else is given back: a value ending in `)` or `.` with no open bracket
 * before it stays masked whole, so a credential is never shortened to show its last characters.
 */
function proseTail(value: string, before: string): string {
  let end = value.length;
  for (;;) {
    let at = end;
    while (at > 1 && /[.,:!?]/.test(value[at - 1] as string)) at--;
    const closer = value[at - 1] as string;
    const opener = OPENER[closer];
    if (at <= 1 || !opener) break;
    const count = (text: string, c: string) => text.split(c).length - 1;
    const body = value.slice(0, at);
    const rest = value.slice(at);
    const unbalanced = count(body, closer) > count(body, opener);
    const openBefore = count(before, opener) - count(before, closer) > count(rest, closer);
    if (!unbalanced || !openBefore) break;
    end = at - 1;
  }
  return value.slice(end);
}

/**
 * Free text with everything credential-shaped masked: HMAC Authorization values, echoed credential headers,
 * Bearer/Basic/Token values, URLs (through redactUrl: userinfo, secret-looking path segments, query values)
 * and every secret remembered with rememberSecret.
 */
export function redactText(text: string): string {
  let out = text
    .replace(URL_IN_TEXT, (match) => {
      // the punctuation of the prose after a URL is not part of it: `cannot reach https://host: …` lost its
      // colon (an empty port to the URL parser) and read "cannot reach https://host/ the host name …"
      const tail = match.match(PROSE_AFTER_URL)?.[0] ?? '';
      const url = match.slice(0, match.length - tail.length);
      // a URL in prose (a hint of ours, a server's message) keeps query values that are not credential-shaped
      const masked = redactUrl(url);
      // the text keeps its own spelling when nothing was masked: parsing adds a `/` to a bare origin and
      // percent-encodes the rest (a name cut with `…` read `%E2%80%A6 (107 more characters)`)
      return `${masked === unmaskedSpelling(url) ? url : masked}${tail}`;
    })
    .replace(
      HEADER_ECHO,
      (_match, name: string, sep: string, value: string, offset: number, whole: string) =>
        `${name}${sep}${MASK}${proseTail(value, whole.slice(0, offset))}`,
    )
    .replace(COOKIE_ECHO, `$1$2${MASK}`)
    .replace(HMAC_VALUE, `SREGISTRY-HMAC-SHA256 ${MASK}`)
    .replace(SIGNED_PARTS, `$1=${MASK}`)
    .replace(
      PAIR_SECRET,
      (_match, name: string, value: string, offset: number, whole: string) => `${name}=${MASK}${proseTail(value, whole.slice(0, offset))}`,
    )
    .replace(JSON_SECRET, `"$1"$2"${MASK}"`)
    .replace(SCHEME_VALUE, (match, scheme: string, space: string, value: string) =>
      /[\d=]/.test(value) ? `${scheme}${space}${MASK}` : match,
    );
  for (const secret of heldSecrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
  return out;
}
