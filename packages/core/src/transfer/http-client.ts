// The one axios instance the transfers go through (a plain-http GET goes without it, direct-send.ts), plus what all
// requests share: outgoing headers (no cookies, our User-Agent), TLS agents, redirect following by hand (so the hop
// count, header stripping across origins and the debug lines are ours) and URL validation.
import type http from 'node:http';
import type https from 'node:https';
import type { AxiosInstance, AxiosRequestConfig, AxiosResponse } from 'axios';
import { requireBundled } from '../bundled';
import { UserError } from '../errors';
import { numberSetting } from '../settings/env';
import { CORE_VERSION } from '../version';
import { sendDirect } from './direct-send';
import { invalidUrl } from './net-errors';
import { redactHeaders, redactUrl, urlOrigin } from './redact';

// The transfer settings are read when a transfer starts, not when this module loads: a bad value is refused in one
// line naming it (settings/env.ts) as a command reaches the network, where at load time it could only be ignored.

/** Time without progress before a request gives up; SREGISTRY_HTTP_TIMEOUT_MS overrides it (slow links, tests). */
export function defaultTimeoutMs(): number {
  return numberSetting('SREGISTRY_HTTP_TIMEOUT_MS', process.env.SREGISTRY_HTTP_TIMEOUT_MS, { whole: true, unit: 'milliseconds' }) ?? 30_000;
}
/**
 * curl's --speed-limit/--speed-time: a transfer whose average speed stays below SREGISTRY_SPEED_LIMIT bytes a
 * second (default 1024; 0 turns the check off) for SREGISTRY_SPEED_TIME seconds (default 60) is abandoned. The
 * idle timeout alone never ends a server that drips one byte a second.
 */
export function defaultSpeedLimit(): number {
  return (
    numberSetting('SREGISTRY_SPEED_LIMIT', process.env.SREGISTRY_SPEED_LIMIT, { whole: true, zero: true, unit: 'bytes per second' }) ?? 1024
  );
}
export function defaultSpeedTimeMs(): number {
  return (numberSetting('SREGISTRY_SPEED_TIME', process.env.SREGISTRY_SPEED_TIME, { unit: 'seconds' }) ?? 60) * 1000;
}
/** No retry starts once this much time has passed since the first attempt (SREGISTRY_RETRY_MAX_TIME, seconds). */
export function defaultRetryMaxTimeMs(): number {
  return (numberSetting('SREGISTRY_RETRY_MAX_TIME', process.env.SREGISTRY_RETRY_MAX_TIME, { unit: 'seconds' }) ?? 300) * 1000;
}
export const DEFAULT_MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers that must not follow a redirect to another origin. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

let instance: AxiosInstance | undefined;

/** The shared axios instance, created on first use: commands that never reach the network never load axios. */
export function httpClient(): AxiosInstance {
  instance ??= loadAxios().create(CLIENT_CONFIG);
  return instance;
}

/** axios as one bundled file when built (scripts/bundle.js), else the package (sources run through tsx). */
function loadAxios(): typeof import('axios') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return requireBundled(
    () => require('./axios-bundle'),
    'axios-bundle',
    () => require('axios'),
  );
}

const CLIENT_CONFIG: AxiosRequestConfig = {
  // Every status is an answer for the caller to interpret; only transport failures reject.
  validateStatus: () => true,
  maxRedirects: 0,
  maxBodyLength: -1,
  maxContentLength: -1,
  transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: false },
  // We parse JSON ourselves (bare numbers, HTML error pages); axios must hand over the bytes untouched.
  transformResponse: [],
};

let insecureAgent: https.Agent | undefined;

/**
 * Agents for a request: keep-alive by default; a verification-free https agent when asked. node:http and node:https
 * are loaded only for these (https brings tls): a plain-http GET goes over direct-send's socket and needs neither.
 */
export function agents(options: { insecure?: boolean; keepAlive?: boolean }): Pick<AxiosRequestConfig, 'httpAgent' | 'httpsAgent'> {
  if (options.keepAlive === false) {
    return {
      httpAgent: new (require('node:http') as typeof http).Agent({ keepAlive: false }),
      httpsAgent: new (require('node:https') as typeof https).Agent({ keepAlive: false, rejectUnauthorized: !options.insecure }),
    };
  }
  if (!options.insecure) return {};
  insecureAgent ??= new (require('node:https') as typeof https).Agent({ keepAlive: true, rejectUnauthorized: false });
  return { httpsAgent: insecureAgent };
}

/**
 * The headers to send: the caller's, minus any Cookie (the registry treats a request with a csrftoken cookie
 * as a web-UI request and silently stores nothing), plus a User-Agent unless the caller set one.
 */
export function outgoingHeaders(base: Record<string, string> | undefined, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...extra, ...(base ?? {}) })) {
    if (name.toLowerCase() === 'cookie') continue;
    out[name] = headerText(value);
  }
  if (!Object.keys(out).some((name) => name.toLowerCase() === 'user-agent'))
    out['User-Agent'] = `sregistry/${CORE_VERSION} (node ${process.version})`;
  return out;
}

/**
 * A header value as it may go on the wire: control characters (CR and LF among them: no header smuggled in by a
 * value) removed and the ends trimmed, as axios does for the requests it sends, so both paths send the same.
 */
function headerText(value: string): string {
  return String(value)
    .replace(/[\u0000-\u0008\u000a-\u001f\u007f]+/g, '')
    .replace(/^[ \t]+|[ \t]+$/g, '');
}

/** Parses and checks a URL up front so a typo is a clear UserError, not a library exception. */
export function checkUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidUrl(url);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw invalidUrl(url);
  return parsed;
}

export function headerValue(response: AxiosResponse, name: string): string | undefined {
  const value = (response.headers as Record<string, unknown>)[name.toLowerCase()];
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/** Plain-object copy of response headers (lower-case names). */
export function plainHeaders(response: AxiosResponse): Record<string, string> {
  const out: Record<string, string> = {};
  const source = response.headers as unknown as { toJSON?: () => Record<string, unknown> };
  const raw = typeof source.toJSON === 'function' ? source.toJSON() : (response.headers as Record<string, unknown>);
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

export interface SendOptions {
  /** hops to follow; 0 returns a redirect answer as it is */
  maxRedirects: number;
  debug?: (line: string) => void;
  /** called on a redirect answer so a streamed body can be released */
  discard?: (response: AxiosResponse) => void;
  /** the backend's NOHTTPS setting when it put the https:// in front (see HttpOptions), named in a refusal's fix */
  plainHttpSetting?: string;
}

/**
 * Sends `config` and follows redirects by hand, at most `maxRedirects` hops. Credentials are dropped when a hop
 * changes origin (a signed storage URL must not receive the registry's Authorization). Returns the first
 * non-redirect answer and the URL that gave it. A plain-http GET goes over direct-send.ts, without axios: a
 * `responseType: 'stream'` answer's data is then a DirectBody, else a Readable.
 */
export async function sendFollowingRedirects(
  config: AxiosRequestConfig & { url: string; headers: Record<string, string> },
  options: SendOptions,
): Promise<{ response: AxiosResponse; url: string }> {
  let url = config.url;
  let headers = config.headers;
  let method = (config.method ?? 'GET').toUpperCase();
  for (let hop = 0; ; hop++) {
    options.debug?.(`${method} ${redactUrl(url)} ${JSON.stringify(redactHeaders(headers))}`);
    const request = { ...config, url, headers, method };
    const response: AxiosResponse = (await sendDirect(request)) ?? (await httpClient().request<unknown, AxiosResponse>(request));
    const location = headerValue(response, 'location');
    // maxRedirects 0: the caller wants the 3xx itself (e.g. a POST, which must not turn into a GET).
    if (!REDIRECTS.has(response.status) || !location || options.maxRedirects === 0) return { response, url };
    options.discard?.(response);
    if (hop >= options.maxRedirects) {
      throw new UserError(`too many redirects (more than ${options.maxRedirects}) from ${redactUrl(config.url)}`, {
        fix: 'check the URL; the server sends the client around in circles',
        code: 'EREDIRECT',
      });
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw invalidUrl(location);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') throw invalidUrl(next.href);
    options.debug?.(`${response.status} redirect to ${redactUrl(next)}`);
    if (next.protocol === 'http:' && new URL(url).protocol === 'https:') throw downgrade(url, next, options.plainHttpSetting);
    if (next.origin !== new URL(url).origin) headers = withoutCredentials(headers);
    if (response.status === 303 && method !== 'HEAD') method = 'GET';
    url = next.href;
  }
}

/**
 * A redirect from https to plain http, refused for every request and backend: the answer (a manifest naming the
 * download, the image, a token) could be read and changed by anyone on the way, and nothing would say so. A user
 * who wants plain http asks for it from the start (an http:// address, or the backend's NOHTTPS setting for one
 * written without a scheme); a downgrade half-way is never followed, whatever the settings.
 */
function downgrade(from: string, to: URL, plainHttpSetting: string | undefined): UserError {
  const optIn = plainHttpSetting ? `, or export ${plainHttpSetting}=1` : '';
  return new UserError(
    `${urlOrigin(from)} redirected to plain http (${urlOrigin(to.href)}): not followed, as its answer could be read and changed on the way`,
    {
      fix: `ask the service to redirect to https; if you trust the network to that server, give its http:// address yourself${optIn}`,
      code: 'EREDIRECT',
    },
  );
}

/** A download's GET: what it asks for, and where. */
export interface BodyRequest {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  insecure?: boolean;
  maxRedirects?: number;
  debug?: (line: string) => void;
  plainHttpSetting?: string;
}

/**
 * The one request shape of downloads (the streamed one, the parts' probe, a part redirected after all): a GET whose
 * body is streamed as sent, never decoded (its bytes are the file that is hashed), redirects followed.
 */
export function getBody(req: BodyRequest): Promise<{ response: AxiosResponse; url: string }> {
  return sendFollowingRedirects(
    {
      url: req.url,
      method: 'GET',
      headers: req.headers,
      timeout: req.timeoutMs,
      signal: req.signal,
      responseType: 'stream',
      decompress: false,
      ...agents({ insecure: req.insecure }),
    },
    {
      maxRedirects: req.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
      debug: req.debug,
      discard: releaseBody,
      plainHttpSetting: req.plainHttpSetting,
    },
  );
}

/** Ends a streamed answer's body that is not wanted (a redirect's, a refused one's), so its socket is freed. */
export function releaseBody(response: AxiosResponse): void {
  const body = response.data as { destroy?: () => void } | undefined;
  if (body && typeof body.destroy === 'function') body.destroy();
}

/** The headers minus credentials, for a request to another origin than the one they were given for. */
export function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase())));
}
