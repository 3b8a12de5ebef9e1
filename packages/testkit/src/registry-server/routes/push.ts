// Push step 1, `POST /api/upload/chunked_upload[/]` (registry-api.md §1.3): a plain Django view, so every
// refusal (no header, bad signature, wrong hour, not allowed, push disabled) surfaces as HTTP 500 with an HTML page.
import { pyStr, readSmallBody } from '../body';
import type { Exchange } from '../exchange';
import { credentialUsername, MalformedAuthHeader, verifyRequest } from '../hmac';
import { normalizeCollectionName } from '../names';
import { mayCreate, mayPush } from '../permissions';
import { sendJson, serverErrorHtml } from '../respond';

export async function chunkedUpload(ex: Exchange): Promise<void> {
  const { state, settings, faults } = ex.ctx;
  let body: unknown;
  try {
    body = JSON.parse(await readSmallBody(ex.req));
  } catch {
    return serverErrorHtml(ex);
  }
  ex.record.body = body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return serverErrorHtml(ex);
  const fields = body as Record<string, unknown>;
  if (typeof fields.collection !== 'string') return serverErrorHtml(ex);

  // Values go into the payload the way Python formats them: a missing name signs as "None".
  const tag = 'tag' in fields ? pyStr(fields.tag) : 'latest';
  const name = pyStr(fields.name);
  const collectionName = normalizeCollectionName(fields.collection);

  const auth = ex.req.headers.authorization;
  if (auth === undefined || !settings.pushEnabled) return serverErrorHtml(ex);
  try {
    const user = state.user(credentialUsername(auth));
    const signed = verifyRequest(auth, {
      kind: 'push',
      collection: collectionName,
      name,
      tag,
      now: faults.now(),
      tokenFor: (u) => state.user(u)?.token,
    });
    if (!signed || !user) return serverErrorHtml(ex);
    let coll = state.collectionByName(collectionName);
    if (!mayPush(state, settings, user, coll) || !mayCreate(settings, user)) return serverErrorHtml(ex);
    coll ??= state.createCollection(collectionName, { private: settings.defaultPrivate, owners: [user.username] });
    sendJson(ex, 200, { cid: coll.id }, { style: 'django' });
  } catch (err) {
    if (err instanceof MalformedAuthHeader) return serverErrorHtml(ex);
    throw err;
  }
}
