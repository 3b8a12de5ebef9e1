// search (client-spec §6.6, with defects 1 and 3 fixed): every collection (all pages), one collection, or
// containers by [collection/]name[:tag]. Output shapes are the original's.
import type { ImageName, JsonResponse, SearchResult } from '@sregistry/core';
import { isEmptyObject, isObject, printableCell, printableJson, unexpected } from './answers';
import { containerSearchPath, encodeCollection } from './endpoints';
import { serverCollection } from './names';
import type { Runtime } from './runtime';

/** A server that hands out ever new `next` URLs must not keep us busy forever. */
const MAX_PAGES = 1000;

export async function searchRegistry(rt: Runtime, query: string | undefined): Promise<SearchResult> {
  const { at, rest } = splitRegistry(rt, query?.trim() ?? '');
  const q = rest;
  if (!q || q === '*') return allCollections(rt, at);
  if (q.endsWith('/') || (!q.includes('/') && !q.includes(':'))) return oneCollection(rt, q, at);
  return containers(rt, q, at);
}

/** Which registry a search goes to: a first segment that pull and push read as a host (core's name parser). */
type At = Pick<ImageName, 'registry' | 'scheme'> | undefined;

/**
 * `host[:port]/…` names the registry, as in pull, push and delete (`127.0.0.1:5000/coll/`, `localhost:5000/`);
 * the rest is the query. Whether the first segment is a host is the name parser's decision, so the three agree.
 */
function splitRegistry(rt: Runtime, query: string): { at: At; rest: string } {
  const slash = query.indexOf('/');
  if (slash <= 0) return { at: undefined, rest: query };
  const first = query.slice(0, slash);
  let registry: string | undefined;
  try {
    // two segments, as `registry.example.com/name` is read: only a first segment with a dot, a port or localhost
    registry = rt.host.parseImageName(`${first}/name`, { defaults: false, lowercase: false }).registry;
  } catch {
    registry = undefined;
  }
  if (registry !== first) return { at: undefined, rest: query };
  return { at: { registry, scheme: undefined }, rest: query.slice(slash + 1) };
}

type Row = string[];

/** `[uri, detail]` for each container of a CollectionItem. */
function collectionRows(rt: Runtime, collection: unknown): Row[] {
  if (!isObject(collection) || !Array.isArray(collection.containers)) return [];
  return collection.containers.filter(isObject).map((c) => [text(rt, c.uri), text(rt, c.detail)]);
}

/** A cell of server text, escaped here so that `--json` rows are as safe as the printed table (uncapped: a name shown must pull). */
function text(rt: Runtime, value: unknown): string {
  return printableCell(rt.host, value);
}

/** The items of a list answer: DRF's paginated `{results, next}`, a plain array, or `{containers: []}`. */
function itemsOf(data: unknown): { items: unknown[]; next?: string } {
  if (Array.isArray(data)) return { items: data };
  if (isObject(data) && Array.isArray(data.results))
    return { items: data.results, next: typeof data.next === 'string' && data.next ? data.next : undefined };
  if (isObject(data) && Array.isArray(data.containers)) return { items: data.containers };
  return { items: [] };
}

async function getJson(rt: Runtime, url: string): Promise<JsonResponse> {
  const answer = await rt.http.json({ url });
  if (answer.status === 200 && answer.isJson) return answer;
  throw unexpected(rt.host, answer, url);
}

async function allCollections(rt: Runtime, at?: At): Promise<SearchResult> {
  const location = rt.location(at);
  const visited = new Set<string>();
  const items: unknown[] = [];
  let url: string | undefined = new URL(`${location.api}/collections/`).toString();
  while (url) {
    if (visited.has(url)) {
      rt.log.debug(`the registry's next page ${url} was already read: stopping`);
      break;
    }
    if (visited.size >= MAX_PAGES) {
      rt.log.warn(`stopped after ${MAX_PAGES} pages of collections`);
      break;
    }
    visited.add(url);
    const page = itemsOf((await getJson(rt, url)).data);
    items.push(...page.items);
    url = page.next ? nextPage(rt, page.next, url, visited.size) : undefined;
  }
  return {
    heading: 'Collections',
    rows: items.flatMap((item) => collectionRows(rt, item)),
    items: items.map((item) => printableJson(rt.host, item)),
    // nothing was asked for, so nothing was misspelt: the registry (as anyone may see it) is empty
    emptyMessage: `No container collections found: ${location.root} has no public collections yet`,
    emptyFix: 'push one: sregistry push <file> --name collection/name:tag (private collections are not listed)',
  };
}

/**
 * The page a listing's `next` points to, or undefined (with one warning line) when it is not a URL or leads to
 * another origin: a server must not send us, with whatever we would send it, somewhere else.
 */
function nextPage(rt: Runtime, next: string, current: string, pages: number): string | undefined {
  let target: URL;
  try {
    // absolute on the real server; a relative one is read against the page it came from
    target = new URL(next, current);
  } catch {
    rt.log.warn(
      `the registry's link to the next page ("${rt.host.printable(next, { max: 80 })}") is not a URL: stopped after ${pages} pages`,
    );
    return undefined;
  }
  const here = new URL(current);
  if (target.origin !== here.origin) {
    rt.log.warn(
      `the registry's link to the next page leads to another host (${rt.host.urlOrigin(target)}), not followed: stopped after ${pages} pages`,
    );
    return undefined;
  }
  return target.toString();
}

async function oneCollection(rt: Runtime, query: string, at?: At): Promise<SearchResult> {
  const typed = query.replace(/^\/+|\/+$/g, '');
  if (!typed) return allCollections(rt, at);
  const name = serverCollection(rt, typed);
  const url = `${rt.location(at).api}/collection/${encodeCollection(name)}`;
  const answer = await rt.http.json({ url });
  const empty = { heading: `COLLECTION ${name}`, rows: [], items: [], emptyMessage: 'No collections found.' };
  // `{}` is the server's "no such collection"; a 404 means the same
  if (answer.status === 404 || (answer.status === 200 && isEmptyObject(answer.data))) return empty;
  if (answer.status === 500) {
    throw new rt.host.UserError(`the registry failed (500) for the collection ${name}`, {
      fix: `a private collection answers this way; search its images with sregistry search ${name}/<name>`,
      code: 'EHTTP',
    });
  }
  if (answer.status !== 200 || !isObject(answer.data)) throw unexpected(rt.host, answer, url);
  // a collection without images still exists: its heading alone, and success, as the original prints it
  return { ...empty, rows: collectionRows(rt, answer.data), items: [printableJson(rt.host, answer.data)], exists: true };
}

/** `[collection/]name[:tag]`, lower-cased like the server's exact-match search; `@version` is ignored. */
function containerQuery(query: string): { collection?: string; name: string; tag?: string } {
  const plain = query.replace(/^\/+/, '').replace(/@.*$/, '').toLowerCase();
  const slash = plain.lastIndexOf('/');
  const collection = slash === -1 ? undefined : plain.slice(0, slash).replace(/\/+$/, '') || undefined;
  const rest = plain.slice(slash + 1);
  const colon = rest.indexOf(':');
  const name = colon === -1 ? rest : rest.slice(0, colon);
  const tag = colon === -1 ? undefined : rest.slice(colon + 1) || undefined;
  return { collection, name, tag };
}

async function containers(rt: Runtime, query: string, at?: At): Promise<SearchResult> {
  const parts = containerQuery(query);
  const { name, tag } = parts;
  const collection = parts.collection === undefined ? undefined : serverCollection(rt, parts.collection);
  const heading = `Containers ${query}`;
  const empty = { heading, rows: [], items: [], emptyMessage: 'No containers found.' };
  if (!name) return empty;
  const url = `${rt.location(at).api}${containerSearchPath({ collection, name, tag })}`;
  const answer = await rt.http.json({ url });
  if (answer.status === 404 || (answer.status === 200 && isEmptyObject(answer.data))) return empty;
  if (answer.status !== 200 || !answer.isJson) throw unexpected(rt.host, answer, url);
  const items = itemsOf(answer.data).items.filter(isObject);
  // the original's two columns, which scripts read; the date is in --json's items
  const rows = items.map((c) => [`${text(rt, c.collection)}/${text(rt, c.name)}`, text(rt, c.tag)]);
  return { ...empty, rows, items: items.map((item) => printableJson(rt.host, item)) };
}
