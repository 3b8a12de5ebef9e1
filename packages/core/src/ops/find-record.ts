import type { ImageRecord } from '../contracts/records';
import { UserError } from '../errors';
import type { Session } from './session';

/** Looks a name up like the original's `get` (collection/name/tag, plus version when given). */
export async function findRecord(session: Session, query: string, purpose: string): Promise<ImageRecord> {
  const catalog = await session.catalog(purpose);
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
