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

/** Statuses a download retries (the server may do better a moment later). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
