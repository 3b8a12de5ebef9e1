import { findRecord } from './find-record';
import type { Session } from './session';

/** `get <uri>`: prints only the stored path (or URL), for `$(sregistry get x)`. */
export async function getImage(session: Session, query: string): Promise<{ path: string | null; url: string | null; uri: string | null }> {
  const record = await findRecord(session, query, 'get');
  const line = record.image ?? record.url ?? `No storage file found for ${query}`;
  session.out.result(line);
  return { path: record.image, url: record.url, uri: record.uri };
}
