// One-line UserErrors for HTTP statuses that end a download. The URL is always redacted (download links carry
// the collection secret in their path).
import { UserError } from '../errors';
import { redactUrl, urlOrigin } from './redact';

export function httpStatusError(status: number, url: string, options: { attempts?: number; retryAfterMs?: number } = {}): UserError {
  const where = redactUrl(url);
  if (status === 404 || status === 410) {
    return new UserError(`${where} was not found at the registry (HTTP ${status})`, {
      fix: 'check the image name and tag; a download link may also have expired, so resolve the image again',
      code: 'ENOTFOUND',
    });
  }
  if (status === 401 || status === 403) {
    return new UserError(`permission denied for ${where} (HTTP ${status})`, {
      fix: 'check your credentials and access to this collection; a registry also answers 403 once its download limit is reached',
      code: 'EPERM',
    });
  }
  if (status === 429) {
    const after = options.retryAfterMs !== undefined ? ` (the server asks to wait ${Math.ceil(options.retryAfterMs / 1000)} s)` : '';
    return new UserError(`${urlOrigin(url)} is rate limiting downloads (HTTP 429)${after}`, {
      fix: 'wait a while and try again',
      code: 'ERATELIMIT',
    });
  }
  if (status >= 500) {
    const tries = options.attempts && options.attempts > 1 ? ` after ${options.attempts} attempts` : '';
    return new UserError(`${where} answered HTTP ${status}${tries}`, { fix: 'the server has a problem; try again later', code: 'EHTTP' });
  }
  return new UserError(`${where} answered HTTP ${status}`, { fix: 'check the URL and your access to it', code: 'EHTTP' });
}

/**
 * A 403 from another host than the one asked, i.e. one a redirect led to: object storage refusing a presigned
 * link (they expire after minutes), not the service refusing the caller, whose credentials never go there.
 */
export function isRefusedLink(status: number, requested: string, answered: string): boolean {
  return status === 403 && originOf(requested) !== originOf(answered);
}

/** Thrown inside a download for a refused link, which the download asks the service for once more. */
export class RefusedLink extends Error {
  constructor(readonly url: string) {
    super('HTTP 403 from the redirect target');
  }
}

/** Whether a download followed its URL's redirect again for a fresh link, after object storage refused one. */
export interface LinkRenewal {
  renewed: boolean;
}

/** A link refused again after a fresh one was asked for. */
export function refusedLinkError(url: string): UserError {
  return new UserError(`the download link to ${urlOrigin(url)} expired or was refused by object storage (HTTP 403), a fresh link too`, {
    fix: 'this is no credential problem (none go to object storage): pull again; if it persists, the server hands out links its storage refuses (a clock or expiry setting): tell its administrator',
    code: 'EHTTP',
  });
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** Statuses a download retries (the server may do better a moment later). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
