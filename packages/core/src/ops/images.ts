import { isListAll } from '../catalog/match';
import { recordToJson } from '../catalog/record-json';
import type { ImageRecordJson } from '../contracts/records';
import { longDate, tableRow } from '../output/format';
import type { Session } from './session';

const HEADER = 'Containers:   [date]   [client]\t[uri]';
/** rows per write: output starts at once and memory stays flat however large the catalogue */
const ROWS_PER_WRITE = 1000;

/**
 * The catalogue's records, oldest first: every record, or those each query term finds (client-spec §2.4), in
 * the shape `inspect` prints. Prints nothing, whatever the session's output mode.
 */
export async function listImages(session: Session, terms: string[] = []): Promise<ImageRecordJson[]> {
  const catalog = await session.catalogView('listing images');
  const queries = terms.filter((t) => !isListAll(t));
  const all: ImageRecordJson[] = [];
  for (const term of queries.length === 0 ? [undefined] : queries) {
    for (const r of await catalog.list(term, { metrics: true })) all.push(recordToJson(r));
  }
  return all;
}

/** One query's records in `images --json` of several queries. */
export interface ImagesQueryDocument {
  query: string;
  items: ImageRecordJson[];
}

/**
 * `images [query...]` as the CLI shows it: the original's table, streamed so memory stays flat however large
 * the catalogue; with --json nothing is printed here and the records are returned for the JSON document: one
 * list for none or one query (the shape scripts read), one `{query, items}` per query for several, as the text
 * shows one listing per query and `search --json` one document per query.
 */
export async function showImages(session: Session, terms: string[] = []): Promise<ImageRecordJson[] | ImagesQueryDocument[]> {
  if (session.out.json) {
    const queries = terms.filter((t) => !isListAll(t));
    if (queries.length < 2) return listImages(session, terms);
    const documents: ImagesQueryDocument[] = [];
    for (const query of queries) documents.push({ query, items: await listImages(session, [query]) });
    return documents;
  }
  const catalog = await session.catalogView('listing images');
  const queries = terms.filter((t) => !isListAll(t));
  const groups = queries.length === 0 ? [undefined] : queries;
  for (const term of groups) {
    // the table shows no metrics: no parsing them
    const records = await catalog.list(term, { metrics: false });
    let lines: string[] = [];
    let index = 0;
    for (const r of records) {
      if (index === 0) session.out.heading(HEADER);
      const uri = `${r.collection}/${r.name}:${r.tag}${r.version ? `@${r.version}` : ''}`;
      // a row without a date (NULL created_at) has an empty date cell, not January 01, 1970
      lines.push(tableRow(index++, [r.createdAt ? longDate(r.createdAt) : '', `   [${r.client}]`, uri]));
      if (lines.length === ROWS_PER_WRITE) {
        session.out.result(lines.join('\n'));
        lines = [];
      }
    }
    if (lines.length > 0) session.out.result(lines.join('\n'));
  }
  return [];
}
