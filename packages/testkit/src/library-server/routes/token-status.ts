// GET /v1/token-status: what `apptainer remote login` asks before it saves a token (only a 200 counts there). The
// Registry Server answers 200 when the Bearer token exists and 404 otherwise, always with an empty body
// (registry-api.md §1.5); the 'sylabs' flavour answers as its other routes do: 200 in the data envelope, 401
// in the error envelope. Off, it is an unknown route: Django's HTML 404, as on a server that cannot check tokens.
import { viewerOf } from '../auth';
import type { Exchange } from '../context';
import { fail, notFoundHtml, sendData, sendEmpty } from '../respond';
import { isRegistryServer } from './registry-server';

export function tokenStatus(ex: Exchange) {
  if (!ex.ctx.settings.tokenStatus) return notFoundHtml(ex.res);
  const viewer = viewerOf(ex);
  if (isRegistryServer(ex)) return sendEmpty(ex.res, viewer && viewer !== 'invalid' ? 200 : 404);
  if (viewer === undefined) return fail(ex, 401, 'Authentication required: send Authorization: Bearer <token>');
  if (viewer === 'invalid') return fail(ex, 401, 'Invalid or expired token');
  sendData(ex.res, { username: viewer.owner });
}
