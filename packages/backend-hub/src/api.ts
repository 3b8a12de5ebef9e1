import type { BackendContext } from '@sregistry/core';
import { hubFailed, rateLimited, refused, unexpected } from './errors';

export type Manifest = Record<string, unknown>;

export type ManifestAnswer = { found: true; manifest: Manifest; url: string } | { found: false; url: string };

export interface ManifestRequest {
  /** base without `/api` (see settings.ts) */
  base: string;
  user: string;
  /** `<repo>[:tag][@digest]` */
  tail: string;
  /** the reference as the user wrote it, for messages */
  what: string;
  signal?: AbortSignal;
  /** the setting that makes a filled-in https:// http (named by the host on a failed TLS handshake) */
  plainHttpSetting?: string;
}

export function manifestUrl(base: string, user: string, tail: string): string {
  return `${base}/api/container/${user}/${tail}`;
}

/**
 * One manifest request. 404 is an answer (the caller may retry another form); every other failure is
 * final and becomes a UserError here. Bodies may be bare JSON numbers (the 426 quota answer).
 */
export async function fetchManifest(ctx: BackendContext, request: ManifestRequest): Promise<ManifestAnswer> {
  const url = manifestUrl(request.base, request.user, request.tail);
  ctx.log.debug(`hub: GET ${url}`);
  const res = await ctx.host.requestJson({
    method: 'GET',
    url,
    headers: { Accept: 'application/json' },
    // no timeout of its own: the host's (SREGISTRY_HTTP_TIMEOUT_MS, 30 s by default as Apptainer waits for the
    // manifest), as every other backend's requests, so that the one setting shortens or lengthens them all
    insecure: insecure(ctx),
    signal: request.signal,
    plainHttpSetting: request.plainHttpSetting,
    debug: (line: string) => ctx.log.debug(line),
  });
  ctx.log.debug(`hub: ${res.status} ${res.statusText} for ${url}`);
  if (res.status === 200) {
    const data = res.data;
    if (!res.isJson || data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw unexpected(ctx, request.what, `the manifest is not a JSON object (${res.text.slice(0, 60) || 'empty body'})`);
    }
    return { found: true, manifest: data as Manifest, url };
  }
  if (res.status === 404) return { found: false, url };
  if (res.status === 426 || res.status === 429) {
    throw rateLimited(ctx, request.what, res.status, res.isJson ? res.data : res.text.trim(), res.headers['retry-after']);
  }
  if (res.status === 401 || res.status === 403) throw refused(ctx, request.what, res.status);
  if (res.status >= 500) throw hubFailed(ctx, request.what, res.status, detailOf(res.data) ?? (res.text.trim() || undefined));
  throw unexpected(ctx, request.what, `HTTP ${res.status} ${ctx.host.printable(res.statusText)}`.trim());
}

function detailOf(data: unknown): string | undefined {
  if (data && typeof data === 'object' && typeof (data as { detail?: unknown }).detail === 'string')
    return (data as { detail: string }).detail;
  return undefined;
}

const warned = new WeakSet<object>();

/** SREGISTRY_HTTPS_NOVERIFY, with the original's warning once per command. */
export function insecure(ctx: BackendContext): boolean {
  const off = ctx.settings.getBoolean('SREGISTRY_HTTPS_NOVERIFY');
  if (off && !warned.has(ctx)) {
    warned.add(ctx);
    ctx.log.warn('Verify of certificates disabled! ::TESTING USE ONLY::');
  }
  return off;
}
