// What Django REST Framework does around every DRF view before the view runs: authentication (only the
// `Token` scheme means anything to it; HMAC and Bearer requests stay anonymous), the anon throttle, and
// content negotiation (a browser-like Accept gets the HTML "browsable API").
import type { Exchange } from './exchange';
import { sendJson } from './respond';

/** Returns false when DRF already answered (401 for a bad `Token` header, 429 when throttled). */
export function drfPrelude(ex: Exchange, throttled: boolean): boolean {
  const auth = ex.req.headers.authorization;
  let authenticated = false;
  if (auth !== undefined && auth.split(' ')[0].toLowerCase() === 'token') {
    const words = auth.split(' ');
    if (words.length === 1) return deny(ex, 'Invalid token header. No credentials provided.');
    if (words.length > 2) return deny(ex, 'Invalid token header. Token string should not contain spaces.');
    if (!ex.ctx.state.users.some((u) => u.token === words[1])) return deny(ex, 'Invalid token.');
    authenticated = true;
  }
  if (throttled && !authenticated) {
    const wait = ex.ctx.faults.throttle();
    if (wait !== undefined) {
      const unit = wait === 1 ? 'second' : 'seconds';
      sendJson(
        ex,
        429,
        { detail: `Request was throttled. Expected available in ${wait} ${unit}.` },
        { headers: { 'Retry-After': String(wait) } },
      );
      return false;
    }
  }
  return true;
}

function deny(ex: Exchange, detail: string): false {
  sendJson(ex, 401, { detail }, { headers: { 'WWW-Authenticate': 'Token' } });
  return false;
}

/**
 * DRF picks the renderer for the most specific Accept entries first, JSON before HTML within one level and
 * ignoring q-values, so `Accept: text/html,...` from a browser gets HTML while `*\/*` or nothing gets JSON.
 */
export function wantsBrowsableApi(accept: string | undefined, format: string | null): boolean {
  if (format === 'json') return false;
  if (format === 'api') return true;
  if (!accept) return false;
  const types = accept
    .split(',')
    .map((t) => t.split(';')[0].trim().toLowerCase())
    .filter(Boolean);
  const level = (t: string) => (t === '*/*' ? 0 : t.endsWith('/*') ? 1 : 2);
  const matches = (renderer: string, t: string) =>
    t === '*/*' || t === renderer || (t.endsWith('/*') && renderer.startsWith(t.slice(0, -1)));
  for (const lvl of [2, 1, 0]) {
    const set = types.filter((t) => level(t) === lvl);
    if (set.some((t) => matches('application/json', t))) return false;
    if (set.some((t) => matches('text/html', t))) return true;
  }
  return false;
}
