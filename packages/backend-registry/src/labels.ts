// labels (client-spec §6.6; unreachable in the original): label search by key, value, both or neither.
import type { LabelQuery, SearchResult } from '@sregistry/core';
import { isObject, printableCell, printableJson, unexpected } from './answers';
import type { Runtime } from './runtime';

export async function searchLabels(rt: Runtime, query: LabelQuery): Promise<SearchResult> {
  // sent as typed: the server matches labels exactly, and `labels` lists them as `Author:Vanessa`
  const key = query.key?.trim() || undefined;
  const value = query.value?.trim() || undefined;
  let path = '/labels/search';
  if (key) path += `/${encodeURIComponent(key)}/key`;
  if (value) path += `/${encodeURIComponent(value)}/value`;
  // labels takes no image name, so no host can be named in one
  const url = `${rt.location(undefined, { hostInName: false }).api}${path}`;
  const answer = await rt.http.json({ url });
  if (answer.status !== 200 || !answer.isJson) throw unexpected(rt.host, answer, url);
  const data = answer.data;
  const items = (Array.isArray(data) ? data : isObject(data) && Array.isArray(data.results) ? data.results : []).filter(isObject);
  const filtered = Boolean(key || value);
  const rows = items.map((label) => {
    // newlines inside the cells are the table's layout; a newline inside a server string must not add a line
    const shown = (value: unknown) => printableCell(rt.host, value);
    const containers = Array.isArray(label.containers) ? label.containers.map((c) => shown(c)) : [];
    const pair = `${shown(label.key)}:${shown(label.value)}`;
    // the original's two shapes: a count per label without a filter, the containers themselves with one
    return filtered ? [pair, `\n${containers.join('\n')}\n\n`] : [`N=${containers.length}`, pair];
  });
  return {
    heading: 'Labels',
    rows,
    items: items.map((item) => printableJson(rt.host, item)),
    emptyMessage: 'No labels found.',
    multilineCells: filtered,
  };
}
