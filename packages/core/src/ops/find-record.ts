import type { CatalogView } from '../catalog/reader';
import type { ImageRecord } from '../contracts/records';
import { UserError } from '../errors';
import type { Session } from './session';

/**
 * Looks a name up like the original's `get` (collection/name/tag, plus version when given). Commands that go on
 * to change the record pass the full catalogue they will change it through.
 */
export async function findRecord(session: Session, query: string, purpose: string, from?: CatalogView): Promise<ImageRecord> {
  const catalog = from ?? (await session.catalogView(purpose));
  const name = session.parseLocal(query);
  const record = await catalog.find(name);
  if (!record) {
    throw new UserError(`image ${query} not found in database`, {
      fix: 'list what is there with: sregistry images',
      code: 'ENOTFOUND',
    });
  }
  return record;
}
