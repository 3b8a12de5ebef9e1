import fs from 'node:fs';
import path from 'node:path';
import type { Capability, DeleteOptions, SearchResult } from '../contracts/backend';
import { UserError } from '../errors';
import { tableLines } from '../output/format';
import { printable } from '../output/untrusted';
import { createProgressReporter, transferLabel } from '../transfer/progress';
import { announce } from './announce';
import type { ActiveBackend, Session } from './session';

function notImplemented(what: Capability | 'label search', active: ActiveBackend): UserError {
  return new UserError(`${what} is not implemented for ${active.name}`, {
    fix: `choose a backend that supports it (sregistry backend ls), e.g. with SREGISTRY_CLIENT=<name> or a <name>:// URI`,
    code: 'ENOTSUPPORTED',
  });
}

function printSearch(session: Session, result: SearchResult): void {
  if (result.rows.length === 0 && !result.exists) {
    throw new UserError(result.emptyMessage, {
      fix: result.emptyFix ?? 'check the spelling, or search for less (a collection/, or nothing to list everything)',
      code: 'ENOTFOUND',
    });
  }
  session.out.result(printable(result.heading, { max: 0 }));
  // every cell is server text, escaped whole, unless the backend lays cells out over lines and escaped them itself
  const shown = (cell: string) =>
    result.multilineCells
      ? cell
          .split('\n')
          .map((line) => printable(line, { max: 0 }))
          .join('\n')
      : printable(cell, { max: 0 });
  const rows = result.rows.map((cells) => cells.map(shown));
  if (rows.length > 0) session.out.result(tableLines(rows).join('\n'));
}

/** What `search --json` and `labels --json` print of a result: its heading, table and items, not how to print them. */
export type SearchDocument = Pick<SearchResult, 'heading' | 'rows' | 'items'>;

function searchDocument(result: SearchResult): SearchDocument {
  return { heading: result.heading, rows: result.rows, items: result.items };
}

/** `search [query...]`: each term separately, the term's scheme choosing the backend. */
export async function searchRemote(session: Session, queries: string[]): Promise<SearchDocument[]> {
  const terms = queries.length === 0 ? [undefined] : queries;
  const results: SearchDocument[] = [];
  let announced = false;
  for (const term of terms) {
    const active = await session.backend(term);
    if (!active.backend.search) throw notImplemented('search', active);
    if (!announced) announce(session, active);
    announced = true;
    const plain = term === undefined ? undefined : term.replace(/^[^:]*:\/\//, '');
    const result = await active.backend.search(plain === '' || plain === '*' ? undefined : plain);
    printSearch(session, result);
    results.push(searchDocument(result));
  }
  return results;
}

export async function searchLabels(session: Session, query: { key?: string; value?: string }): Promise<SearchDocument> {
  // `-k ""` (an unset variable) must not quietly mean "any key"
  for (const [flag, value] of [['--key', query.key] as const, ['--value', query.value] as const]) {
    if (value !== undefined && value.trim() === '')
      throw new UserError(`${flag} is empty`, { fix: `give a label ${flag.slice(2)}, or leave ${flag} out`, code: 'EUSAGE' });
  }
  const active = await session.backend();
  if (!active.backend.labels) throw notImplemented('label search', active);
  // no announce line: the original's labels printed none (client-spec §1)
  const result = await active.backend.labels(query);
  // the original answered an empty label search with a message and success
  if (result.rows.length === 0) session.out.result(printable(result.emptyMessage));
  else printSearch(session, result);
  return searchDocument(result);
}

export interface PushOptions {
  file: string;
  name: string;
  tag?: string;
  signal?: AbortSignal;
}

/** `push <file> --name <uri> [--tag T]`: streams the file to the backend; the catalogue is not touched. */
export async function pushImage(session: Session, options: PushOptions) {
  if (options.tag !== undefined && options.tag.trim() === '') {
    throw new UserError('the tag given with --tag is empty', {
      fix: 'give a tag, e.g. --tag latest, or leave --tag out',
      code: 'EUSAGE',
    });
  }
  const file = path.resolve(options.file);
  const size = pushableSize(options.file, file);
  const active = await session.backend(options.name);
  if (!active.backend.push) throw notImplemented('push', active);
  // the SIF reader loads for pushes only, not for search, labels or delete
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { checkImageFile } = require('./image-file') as typeof import('./image-file');
  const formats = active.backend.pushFormats;
  await checkImageFile(
    session,
    file,
    options.file,
    'pushing',
    formats?.length ? { formats, where: `the ${active.name} backend` } : undefined,
  );
  announce(session, active);
  const name = active.parse(options.name, options.tag !== undefined ? { tag: options.tag } : {});
  const progress = createProgressReporter({
    label: transferLabel('push', name),
    total: size,
    enabled: session.out.progressEnabled,
    stream: session.out.stderr,
  });
  try {
    const result = await active.backend.push({
      file,
      size,
      name,
      onProgress: (sent, total) => progress.update(sent, total),
      signal: options.signal,
    });
    progress.done();
    const uri = result.uri ?? name.uri;
    session.out.result(`[push] ${printable(uri)} ${printable(result.message)}`);
    return { size, backend: active.name, ...result, uri };
  } catch (error) {
    progress.done();
    throw error;
  }
}

/** The size of the file to push; anything but a readable regular file is one line saying what it is. */
function pushableSize(given: string, file: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new UserError(`${given} does not exist`, { fix: 'give the path of the image file to push', code: 'ENOFILE' });
    }
    throw new UserError(`cannot read ${given} (${code ?? 'error'})`, { fix: 'check its permissions', code: 'ENOFILE' });
  }
  if (!stat.isFile()) {
    throw new UserError(`${given} is ${notAFile(stat)}, not an image file`, {
      fix: 'give the path of the image file to push',
      code: 'ENOTFILE',
    });
  }
  return stat.size;
}

/** What a path that is not a regular file is, for a message. */
function notAFile(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Looks the image up on its backend (a manifest read, no download), so that delete asks "are you sure?" only
 * about an image that is there; a missing one is the backend's not-found error. Backends that cannot resolve
 * names are not asked. The announce line comes first, before the question, as the original printed it
 * (client-spec §2.14); deleteRemote does not repeat it.
 */
export async function findRemote(session: Session, uri: string, options: DeleteOptions = {}): Promise<void> {
  const active = await session.backend(uri);
  // no question about a delete the backend cannot do
  if (!active.backend.delete) throw notImplemented('delete', active);
  announce(session, active);
  if (active.backend.resolve) await active.backend.resolve(active.parse(uri), options.arch ? { arch: options.arch } : undefined);
}

/** `delete <uri>`: removes the image from the remote service (the confirmation lives in the command). */
export async function deleteRemote(session: Session, uri: string, options: DeleteOptions = {}) {
  const active = await session.backend(uri);
  if (!active.backend.delete) throw notImplemented('delete', active);
  announce(session, active);
  const name = active.parse(uri);
  const result = await active.backend.delete(name, options.arch ? { arch: options.arch } : undefined);
  const deleted = result.uri ?? name.uri;
  session.out.result(`[delete] ${printable(deleted)} ${printable(result.message)}`);
  return { backend: active.name, ...result, uri: deleted };
}
