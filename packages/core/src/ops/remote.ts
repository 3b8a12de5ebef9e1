import fs from 'node:fs';
import path from 'node:path';
import type { Capability, SearchResult } from '../contracts/backend';
import { UserError } from '../errors';
import { tableLines } from '../output/format';
import { createProgressReporter } from '../transfer/index';
import { announce } from './announce';
import type { ActiveBackend, Session } from './session';

function notImplemented(what: Capability | 'label search', active: ActiveBackend): UserError {
  return new UserError(`${what} is not implemented for ${active.name}`, {
    fix: `choose a backend that supports it (sregistry backend ls), e.g. with SREGISTRY_CLIENT=<name> or a <name>:// URI`,
    code: 'ENOTSUPPORTED',
  });
}

function printSearch(session: Session, result: SearchResult): void {
  if (result.rows.length === 0) throw new UserError(result.emptyMessage, { code: 'ENOTFOUND' });
  session.out.result(result.heading);
  session.out.result(tableLines(result.rows).join('\n'));
}

/** `search [query...]`: each term separately, the term's scheme choosing the backend. */
export async function searchRemote(session: Session, queries: string[]): Promise<SearchResult[]> {
  const terms = queries.length === 0 ? [undefined] : queries;
  const results: SearchResult[] = [];
  let announced = false;
  for (const term of terms) {
    const active = await session.backend(term);
    if (!active.backend.search) throw notImplemented('search', active);
    if (!announced) announce(session, active);
    announced = true;
    const plain = term === undefined ? undefined : term.replace(/^[^:]*:\/\//, '');
    const result = await active.backend.search(plain === '' || plain === '*' ? undefined : plain);
    printSearch(session, result);
    results.push(result);
  }
  return results;
}

export async function searchLabels(session: Session, query: { key?: string; value?: string }): Promise<SearchResult> {
  const active = await session.backend();
  if (!active.backend.labels) throw notImplemented('label search', active);
  announce(session, active);
  const result = await active.backend.labels(query);
  // the original answered an empty label search with a message and success
  if (result.rows.length === 0) session.out.result(result.emptyMessage);
  else printSearch(session, result);
  return result;
}

export interface PushOptions {
  file: string;
  name: string;
  tag?: string;
  signal?: AbortSignal;
}

/** `push <file> --name <uri> [--tag T]`: streams the file to the backend; the catalogue is not touched. */
export async function pushImage(session: Session, options: PushOptions) {
  const file = path.resolve(options.file);
  let size: number;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new Error('not a file');
    size = stat.size;
  } catch {
    throw new UserError(`${options.file} does not exist`, { fix: 'give the path of the image file to push', code: 'ENOFILE' });
  }
  const active = await session.backend(options.name);
  if (!active.backend.push) throw notImplemented('push', active);
  announce(session, active);
  const name = active.parse(options.name, options.tag ? { tag: options.tag } : {});
  const progress = createProgressReporter({
    label: `push ${name.image}:${name.tag}`,
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
    session.out.result(`[push] ${name.uri} ${result.message}`);
    return { uri: name.uri, size, backend: active.name, ...result };
  } catch (error) {
    progress.done();
    throw error;
  }
}

/** `delete <uri>`: removes the image from the remote service (the confirmation lives in the command). */
export async function deleteRemote(session: Session, uri: string) {
  const active = await session.backend(uri);
  if (!active.backend.delete) throw notImplemented('delete', active);
  announce(session, active);
  const name = active.parse(uri);
  const result = await active.backend.delete(name);
  session.out.result(`[delete] ${name.uri} ${result.message}`);
  return { uri: name.uri, backend: active.name, ...result };
}
