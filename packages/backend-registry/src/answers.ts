// Reading the registry's answers, quirks included (registry-api.md §8): HTTP 200 with a bare `400`/`429` body,
// `{}` for "not found", HTML pages from proxies or DRF's browsable API, 500 for refused pushes.
import type { BackendContext, JsonResponse } from '@sregistry/core';

type Host = BackendContext['host'];

/** A body that is an HTML page rather than the JSON the API promises. */
export function isHtml(answer: JsonResponse): boolean {
  if (answer.isJson) return false;
  const type = answer.headers['content-type'] ?? '';
  return /html/i.test(type) || /^\s*</.test(answer.text);
}

/** The server's integer answers (`400`, `429`) that arrive with HTTP 200. */
export function bareNumber(answer: JsonResponse): number | undefined {
  return answer.isJson && typeof answer.data === 'number' ? answer.data : undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `{}`: how `/api/collection/<name>` says "no such collection". */
export function isEmptyObject(value: unknown): boolean {
  return isObject(value) && Object.keys(value).length === 0;
}

/** Deeper than any real answer; what is deeper is left out (core's --json output cuts at the same depth). */
const MAX_SHOWN_DEPTH = 64;

/**
 * A copy of a JSON answer with every string, keys included, escaped by the host's one rule for server text
 * (uncapped): the `--json` items of search and labels are shown the way their rows are, as the other backends
 * show theirs. Numbers, booleans and null are kept as they are.
 */
export function printableJson(host: Host, value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return host.printable(value, { max: 0 });
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_SHOWN_DEPTH) return `[nested deeper than ${MAX_SHOWN_DEPTH} levels: left out]`;
  if (Array.isArray(value)) return value.map((v) => printableJson(host, v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [host.printable(k, { max: 0 }), printableJson(host, v, depth + 1)]));
}

/** DRF's `{"detail": "..."}` text, if any. */
/** A server value as a table cell: escaped, nothing for null, and an object as its JSON (not "[object Object]"). */
export function printableCell(host: Host, value: unknown): string {
  if (value === undefined || value === null) return '';
  return host.printable(typeof value === 'object' ? JSON.stringify(value) : value, { max: 0 });
}

export function detailOf(answer: JsonResponse): string | undefined {
  const data = answer.data;
  return isObject(data) && typeof data.detail === 'string' ? data.detail : undefined;
}

export function htmlError(host: Host, url: string): InstanceType<Host['UserError']> {
  return new host.UserError(`${url} answered HTML, not JSON`, {
    fix: 'check that SREGISTRY_REGISTRY_BASE points at the registry (not a login page or proxy)',
    code: 'EBADANSWER',
  });
}

export function serverFailed(host: Host, status: number): InstanceType<Host['UserError']> {
  return new host.UserError(`the registry failed (${status})`, {
    fix: 'try again later; if it keeps failing, tell the registry administrator',
    code: 'EHTTP',
  });
}

export function throttled(host: Host, answer: JsonResponse): InstanceType<Host['UserError']> {
  const after = answer.headers['retry-after'];
  return new host.UserError(`the registry is limiting requests (429)${after ? `, retry after ${after} s` : ''}`, {
    fix: 'wait and try again later (the registry allows a limited number of requests per day)',
    code: 'ERATELIMIT',
  });
}

/**
 * The fix of every refusal, whatever the operation: the credentials first (a 401 means they are expired,
 * client-spec §6.3), then what else the operation needs (`more`, e.g. owning the collection).
 */
export function credentialsFix(...more: string[]): string {
  return [
    "check SREGISTRY_REGISTRY_USERNAME and SREGISTRY_REGISTRY_TOKEN (a new token is on the registry's token page; its JSON can go in ~/.sregistry)",
    ...more,
  ].join('; ');
}

/** A signed request's refusal may also be the hour in the signature. */
export const CLOCK_HINT = 'check that your clock is right: signatures are valid for the current UTC hour only';

/**
 * A 401 or 403, for any operation: `what` says what was refused. The server's own reason is shown (escaped)
 * when it says more than the status (DRF's "Token expired"), never the bare "Unauthorized" again.
 */
export function unauthorized(host: Host, answer: JsonResponse, what: string, ...more: string[]): InstanceType<Host['UserError']> {
  const reason = host.printable(detailOf(answer) ?? '', { max: 80 });
  const said = reason && !/^(unauthori[sz]ed|forbidden|authentication required)\.?$/i.test(reason) ? `, "${reason}"` : '';
  const fix = credentialsFix(...more);
  return new host.UserError(`Unauthorized (${answer.status}${said}): ${what}`, {
    // a 401 is the server's "your credentials are expired" (client-spec §6.3)
    fix: answer.status === 401 ? `your token may have expired: ${fix}` : fix,
    code: 'EPERM',
  });
}

/**
 * The common tail of every interpretation: 5xx, 429, HTML and anything else unexpected. Callers handle the
 * statuses that mean something for their endpoint first.
 */
export function unexpected(host: Host, answer: JsonResponse, url: string): InstanceType<Host['UserError']> {
  if (answer.status >= 500) return serverFailed(host, answer.status);
  if (answer.status === 401 || answer.status === 403) return unauthorized(host, answer, `the registry refused ${url}`);
  if (answer.status === 429) return throttled(host, answer);
  if (isHtml(answer)) return htmlError(host, url);
  if (answer.status >= 200 && answer.status < 300 && !answer.isJson) {
    return new host.UserError(`${url} answered something that is not JSON`, {
      fix: 'check that SREGISTRY_REGISTRY_BASE points at a Singularity Registry Server',
      code: 'EBADANSWER',
    });
  }
  // the server's own words, escaped and capped: they may carry terminal sequences or echo our credentials
  const reason = host.printable(detailOf(answer) ?? answer.statusText);
  return new host.UserError(`the registry answered ${answer.status}${reason ? ` ${reason}` : ''} for ${url}`, {
    fix: 'check the name and SREGISTRY_REGISTRY_BASE; run with --debug for the exchange',
    code: 'EHTTP',
  });
}
