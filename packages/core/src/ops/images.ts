import { isListAll } from '../catalog/match';
import { recordToJson } from '../catalog/record-json';
import type { ImageRecordJson } from '../contracts/records';
import { longDate, tableRow } from '../output/format';
import type { Session } from './session';

const HEADER = 'Containers:   [date]   [client]\t[uri]';
/** rows per write: output starts at once and memory stays flat however large the catalogue */
const ROWS_PER_WRITE = 1000;

/** `images [query...]`: every record, or one listing per query term (client-spec §2.4). */
export async function listImages(session: Session, terms: string[]): Promise<ImageRecordJson[]> {
  const catalog = await session.catalogView('listing images');
  const queries = terms.filter((t) => !isListAll(t));
  const groups = queries.length === 0 ? [undefined] : queries;
  const all: ImageRecordJson[] = [];
  for (const term of groups) {
    // the table shows no metrics, so only --json pays for parsing them
    const records = await catalog.list(term, { metrics: session.out.json });
    if (session.out.json) {
      for (const r of records) all.push(recordToJson(r));
      continue;
    }
    let lines: string[] = [];
    let index = 0;
    for (const r of records) {
      if (index === 0) session.out.heading(HEADER);
      const uri = `${r.collection}/${r.name}:${r.tag}${r.version ? `@${r.version}` : ''}`;
      lines.push(tableRow(index++, [longDate(r.createdAt), `   [${r.client}]`, uri]));
      if (lines.length === ROWS_PER_WRITE) {
        session.out.result(lines.join('\n'));
        lines = [];
      }
    }
    if (lines.length > 0) session.out.result(lines.join('\n'));
  }
  return all;
}
