// `POST /api/api-token-auth/` (DRF's ObtainAuthToken): username and password as a form or JSON → the token.
import { BodyTooLarge, readSmallBody } from '../body';
import type { Exchange } from '../exchange';
import { sendJson } from '../respond';

function parseCredentials(ex: Exchange, raw: string): Record<string, unknown> | undefined {
  const type = (ex.req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('application/json')) {
    const parsed: unknown = JSON.parse(raw);
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

export async function obtainToken(ex: Exchange): Promise<void> {
  let body: Record<string, unknown> | undefined;
  try {
    body = parseCredentials(ex, await readSmallBody(ex.req));
  } catch (err) {
    if (err instanceof BodyTooLarge) return sendJson(ex, 413, { detail: 'Request body too large.' });
    return sendJson(ex, 400, { detail: 'JSON parse error' });
  }
  const missing: Record<string, string[]> = {};
  for (const key of ['username', 'password']) {
    if (typeof body?.[key] !== 'string' || body[key] === '') missing[key] = ['This field is required.'];
  }
  if (Object.keys(missing).length > 0) return sendJson(ex, 400, missing);
  const user = ex.ctx.state.user(String(body?.username));
  if (!user || user.password === undefined || user.password !== body?.password) {
    return sendJson(ex, 400, { non_field_errors: ['Unable to log in with provided credentials.'] });
  }
  sendJson(ex, 200, { token: user.token });
}
