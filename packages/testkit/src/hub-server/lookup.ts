import type { HubBuild } from './types';

/**
 * What the archive service answers for `/api/container/<user>/<repo><rest>` (con/shub `_service_/serve.py`):
 * `rest` is one key — a single leading `:` is stripped and empty means `latest` — matched against the tags
 * and the versions (md5) of the collection; the newest build_date wins (a later seed wins a tie). A
 * collection without a `latest` tag gets the newest build as `latest`, with its real tag in the manifest.
 * `@digest` is not split off, so `repo@d` and `repo:tag@d` find nothing, as on the archive.
 */
export function lookupBuild(builds: readonly HubBuild[], user: string, repo: string, rest = ''): HubBuild | undefined {
  const name = `${user}/${repo}`;
  const collection = builds.filter((b) => b.manifest.name === name);
  if (collection.length === 0) return undefined;
  let key = rest.startsWith(':') ? rest.slice(1) : rest;
  if (key === '') key = 'latest';
  const newest = (list: readonly HubBuild[]) =>
    list.reduce<HubBuild | undefined>(
      (best, b) => (best === undefined || Date.parse(b.buildDate) >= Date.parse(best.buildDate) ? b : best),
      undefined,
    );
  const found = newest(collection.filter((b) => b.manifest.tag === key || b.manifest.version === key));
  if (found) return found;
  return key === 'latest' ? newest(collection) : undefined;
}
