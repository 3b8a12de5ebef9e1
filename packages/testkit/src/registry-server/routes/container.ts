// `GET` and `DELETE /api/container/<collection>/<name>[:<tag>][@<version>][/]` (registry-api.md §1.1, §1.4,
// §2.4), including the misleading answers: HTTP 200 with a bare `400`/`429` body, 500 for a header the
// server's parser cannot split, and a delete that any registered user may perform.
import type { Exchange } from '../exchange';
import { credentialUsername, MalformedAuthHeader, verifyRequest } from '../hmac';
import { sendEmpty, sendJson, serverErrorHtml } from '../respond';
import { containerDetail } from '../serialize';
import type { ContainerRow } from '../state';

export interface ContainerRef {
  collection: string;
  name: string;
  tag?: string;
  version?: string;
}

/** The server's four URL patterns, tried in order, each part non-greedy; a trailing slash is optional. */
export function parseContainerRef(rest: string): ContainerRef | undefined {
  let m = /^(.+?)\/(.+?):(.+?)@(.+?)\/?$/.exec(rest);
  if (m) return { collection: m[1], name: m[2], tag: m[3], version: m[4] };
  m = /^(.+?)\/(.+?):(.+?)\/?$/.exec(rest);
  if (m) return { collection: m[1], name: m[2], tag: m[3] };
  m = /^(.+?)\/(.+?)@(.+?)\/?$/.exec(rest);
  if (m) return { collection: m[1], name: m[2], version: m[3] };
  m = /^(.+?)\/(.+?)\/?$/.exec(rest);
  if (m) return { collection: m[1], name: m[2] };
  return undefined;
}

function overLimit(ex: Exchange, row: ContainerRow): boolean {
  const coll = ex.ctx.state.collectionOf(row);
  return row.getCount >= row.getLimit || coll.getCount >= coll.getLimit;
}

/** GET: the version is ignored and the tag defaults to `latest` (observed: `name@v` returns `latest`). */
export function getContainer(ex: Exchange, ref: ContainerRef) {
  const { state, settings, faults } = ex.ctx;
  const tag = ref.tag ?? 'latest';
  const coll = state.collectionByName(ref.collection);
  const row = coll && state.findContainers({ collectionId: coll.id, name: ref.name, tag })[0];
  if (!coll || !row) return sendJson(ex, 404, { detail: 'Not found.' });

  if (coll.private) {
    const auth = ex.req.headers.authorization;
    if (auth === undefined) return sendJson(ex, 403, { detail: 'Authentication Required' });
    try {
      // Permission first (who is named in the Credential), then the signature itself.
      const user = state.user(credentialUsername(auth));
      if (!user || !state.mayPull(user, coll)) return sendJson(ex, 403, { detail: 'Unauthorized' });
      const ok = verifyRequest(auth, {
        kind: 'pull',
        collection: coll.name,
        name: ref.name,
        tag,
        now: faults.now(),
        tokenFor: (u) => state.user(u)?.token,
      });
      // The view returns Response(400): HTTP 200 whose JSON body is the number 400.
      if (!ok) return sendJson(ex, 200, 400);
    } catch (err) {
      if (err instanceof MalformedAuthHeader) return serverErrorHtml(ex);
      throw err;
    }
  }
  if (overLimit(ex, row)) return sendJson(ex, 200, 429);
  sendJson(ex, 200, containerDetail(state, settings, row));
}

/** DELETE lookup (§1.4): the version matters here, and a bare `c/n` means `version IS NULL`. */
function findForDelete(ex: Exchange, collection: string, name: string, ref: ContainerRef): ContainerRow | undefined {
  const { state } = ex.ctx;
  const coll = state.collectionByName(collection);
  if (!coll) return undefined;
  if (ref.tag !== undefined && ref.version !== undefined)
    return state.findContainers({ collectionId: coll.id, name, tag: ref.tag, version: ref.version })[0];
  if (ref.version !== undefined) return state.findContainers({ collectionId: coll.id, name, version: ref.version })[0];
  if (ref.tag !== undefined) return state.findContainers({ collectionId: coll.id, name, tag: ref.tag })[0];
  return state.findContainers({ collectionId: coll.id, name, version: null })[0];
}

export async function deleteContainer(ex: Exchange, ref: ContainerRef): Promise<void> {
  const { state, faults } = ex.ctx;
  // Left-over from Google-build naming: retry with collection and name both "<collection>/<name>".
  const joined = `${ref.collection}/${ref.name}`;
  const row = findForDelete(ex, ref.collection, ref.name, ref) ?? findForDelete(ex, joined, joined, ref);
  if (!row) return sendJson(ex, 404, { detail: 'Container Not Found' });
  const coll = state.collectionOf(row);
  if (row.frozen) return sendJson(ex, 403, { detail: `${coll.name}/${row.name}:${row.tag} is frozen, delete not allowed.` });

  const auth = ex.req.headers.authorization;
  if (auth === undefined) return sendJson(ex, 403, { detail: 'Unauthorized' });
  let ok: boolean;
  try {
    // Quirk reproduced on purpose: a valid signature by ANY existing user is enough; ownership is not checked.
    ok = verifyRequest(auth, {
      kind: 'delete',
      collection: coll.name,
      name: row.name,
      tag: row.tag,
      now: faults.now(),
      tokenFor: (u) => state.user(u)?.token,
    });
  } catch (err) {
    if (err instanceof MalformedAuthHeader) return serverErrorHtml(ex);
    throw err;
  }
  if (!ok) return sendJson(ex, 403, { detail: 'Unauthorized' });
  await state.removeContainer(row);
  sendEmpty(ex, 204);
}
