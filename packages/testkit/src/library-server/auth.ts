// Bearer tokens and who may do what: anyone reads public collections, only the entity's owner (or an admin
// token) sees private ones — strangers get 404, as if nothing were there — and writes need a token (401)
// of the owner (403).
import type { Exchange } from './context';
import { fail as failAsFlavour, sendError } from './respond';
import type { LibraryCollectionRow, LibraryEntityRow, LibraryToken } from './types';

export type Viewer = LibraryToken | undefined;

/** The request's token: undefined when none was sent; 'invalid' for one the server does not know. */
export function viewerOf(ex: Exchange): Viewer | 'invalid' {
  const header = ex.req.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^bearer\s+(\S+)\s*$/i.exec(header);
  const token = m ? ex.ctx.state.tokens.get(m[1] as string) : undefined;
  return token ?? 'invalid';
}

export function owns(viewer: Viewer, entity: LibraryEntityRow): boolean {
  return viewer !== undefined && (viewer.admin === true || viewer.owner === entity.owner);
}

export function canSee(ex: Exchange, viewer: Viewer, collection: LibraryCollectionRow): boolean {
  if (!collection.private) return true;
  const entity = ex.ctx.state.entities.get(collection.entityId);
  return entity !== undefined && owns(viewer, entity);
}

/** The viewer for a read; answers 401 for an unknown token and returns null. */
export function reader(ex: Exchange): Viewer | null {
  const v = viewerOf(ex);
  if (v === 'invalid') {
    failAsFlavour(ex, 401, 'Invalid or expired token');
    return null;
  }
  return v;
}

/**
 * The viewer for a write: 401 without a valid token. `envelope`: answer in the `{"error"}` envelope whatever the
 * flavour (POST /v1/collections does so on the Registry Server too).
 */
export function writer(ex: Exchange, envelope = false): LibraryToken | null {
  const v = viewerOf(ex);
  if (v === undefined) {
    refuse(ex, envelope, 401, 'Authentication required: send Authorization: Bearer <token>');
    return null;
  }
  if (v === 'invalid') {
    refuse(ex, envelope, 401, 'Invalid or expired token');
    return null;
  }
  return v;
}

/** 403 unless the writer owns the entity. */
export function requireOwner(ex: Exchange, viewer: LibraryToken, entity: LibraryEntityRow, envelope = false): boolean {
  if (owns(viewer, entity)) return true;
  refuse(ex, envelope, 403, `Forbidden: the token's user does not own entity ${entity.name}`);
  return false;
}

function refuse(ex: Exchange, envelope: boolean, status: number, message: string): void {
  if (envelope) sendError(ex.res, status, message);
  else failAsFlavour(ex, status, message);
}
