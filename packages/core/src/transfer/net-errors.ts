// Turns low-level network failures (Node socket/TLS codes, axios wrappers) into one-line UserErrors with a
// plain cause and a fix, and says which of them are worth a retry. Messages name only the origin
// (scheme://host:port): a path may carry a secret.
import { type ErrorCode, UserError } from '../errors';
import { printable } from '../output/untrusted';
import { redactUrl, urlOrigin } from './redact';

const UNTRUSTED_CERT = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
const EXPIRED_CERT = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);
const TIMEOUT = new Set(['ETIMEDOUT', 'ECONNABORTED', 'ESOCKETTIMEDOUT', 'EIDLETIMEOUT']);
const DROPPED = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'ECUTSHORT']);
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN']);
/** Worth another attempt on an idempotent request (ECONNREFUSED only once a retry is under way, see below). */
const TRANSIENT = new Set([...TIMEOUT, ...DROPPED, 'EAI_AGAIN', ...UNREACHABLE]);

const NOVERIFY_HINT = 'SREGISTRY_HTTPS_NOVERIFY=yes skips the check (only for testing)';

/** Error codes found on the error and its causes, outermost first. */
export function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    const nested = (current as { errors?: unknown[] }).errors; // AggregateError from happy-eyeballs connects
    if (Array.isArray(nested)) for (const inner of nested) codes.push(...errorCodes(inner));
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/**
 * Whether a failed attempt may be repeated. A refused connection on the first attempt means the server is not
 * there (tell the user now); during a retry it usually means the server is restarting.
 */
export function isTransientNetworkError(error: unknown, retrying: boolean): boolean {
  const codes = errorCodes(error);
  if (retrying && codes.includes('ECONNREFUSED')) return true;
  return codes.some((code) => TRANSIENT.has(code));
}

/** An error of ours that carries a code the mapping below understands (idle timeout, short body). */
export class TransferFault extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'TransferFault';
  }
}

/** The UserError for a request to `url` that failed without an HTTP answer. */
export function networkError(
  error: unknown,
  url: string,
  options: { timeoutMs?: number; waitedMs?: number; attempts?: number; plainHttpSetting?: string } = {},
): UserError {
  const origin = urlOrigin(url);
  const codes = errorCodes(error);
  const has = (set: Set<string>) => codes.find((code) => set.has(code));
  const make = (message: string, fix: string, code: ErrorCode) => new UserError(message, { fix, code, cause: error });

  if (codes.includes('ECONNREFUSED')) {
    return make(`cannot reach ${origin}: connection refused`, 'check the base URL and that the registry is running', 'ENETWORK');
  }
  if (has(DNS)) {
    let host = origin;
    try {
      host = new URL(url).hostname;
    } catch {
      // keep the origin
    }
    return make(
      `cannot reach ${origin}: the host name ${host} was not found`,
      'check the host name in the base URL and your network or DNS settings',
      'ENETWORK',
    );
  }
  if (has(UNTRUSTED_CERT)) {
    return make(
      `the TLS certificate of ${origin} is not trusted (self-signed or unknown authority)`,
      `add the registry's CA certificate with NODE_EXTRA_CA_CERTS=/path/to/ca.pem; ${NOVERIFY_HINT}`,
      'ETLS',
    );
  }
  if (codes.includes('ERR_TLS_CERT_ALTNAME_INVALID')) {
    return make(
      `the TLS certificate of ${origin} does not match its host name`,
      `use the host name the certificate was issued for; ${NOVERIFY_HINT}`,
      'ETLS',
    );
  }
  if (has(EXPIRED_CERT)) {
    return make(
      `the TLS certificate of ${origin} is expired or not yet valid`,
      `check your clock, or ask the registry's administrator to renew it; ${NOVERIFY_HINT}`,
      'ETLS',
    );
  }
  if (codes.some((code) => code === 'EPROTO' || code.startsWith('ERR_SSL_'))) {
    // an https:// the backend filled in: the only switch the user has is the backend's NOHTTPS setting
    const plain =
      options.plainHttpSetting && origin.startsWith('https:')
        ? `; if the server speaks plain http, export ${options.plainHttpSetting}=1`
        : '';
    return make(
      `the TLS handshake with ${origin} failed`,
      `check that the URL scheme matches the server (http:// or https://) and the port${plain}`,
      'ETLS',
    );
  }
  if (codes.some((code) => code.startsWith('HPE_'))) {
    return make(
      `${origin} did not answer with valid HTTP`,
      'check that the URL scheme matches the server (http:// or https://) and the port',
      'ENETWORK',
    );
  }
  if (has(TIMEOUT)) {
    const within = options.timeoutMs ? ` within ${duration(options.timeoutMs)}` : '';
    // the time really spent: retries make it several timeouts long, and the user waited all of it
    const tries = options.attempts && options.attempts > 1 ? `, ${options.attempts} attempts` : '';
    const waited = options.waitedMs !== undefined ? ` (gave up after ${duration(options.waitedMs)}${tries})` : '';
    // a timeout the user set may be what is too short: say which setting to raise
    const set = process.env.SREGISTRY_HTTP_TIMEOUT_MS?.trim();
    const raise = set ? `, or raise SREGISTRY_HTTP_TIMEOUT_MS (now ${printable(set, { max: 20 })} ms; unset, 30000)` : '';
    return make(
      `no answer from ${origin}${within}${waited}`,
      `check your network connection and that the registry is up, then try again${raise}`,
      'ETIMEOUT',
    );
  }
  if (has(DROPPED)) {
    return make(
      `the connection to ${origin} was closed before the transfer finished`,
      'try again; a proxy or firewall may be cutting long transfers',
      'ENETWORK',
    );
  }
  if (has(UNREACHABLE)) {
    return make(`cannot reach ${origin}: network unreachable`, 'check your network connection and proxy settings', 'ENETWORK');
  }
  const what = codes[0] ?? printable(error instanceof Error ? error.message : String(error));
  return make(`the request to ${origin} failed: ${what}`, 'try again; run with --debug for details', 'ENETWORK');
}

/** A time for a message: `16 ms` below a second (as seconds it read `0 s`), else seconds to one decimal (`2.5 s`). */
export function duration(ms: number): string {
  if (ms < 950) return `${Math.max(1, Math.round(ms))} ms`;
  return `${Math.round(ms / 100) / 10} s`;
}

/** The UserError for a URL that cannot even be parsed. */
export function invalidUrl(url: string): UserError {
  return new UserError(`invalid URL ${redactUrl(url)}`, {
    fix: 'check the base URL (it must start with http:// or https://)',
    code: 'EBADURL',
  });
}
