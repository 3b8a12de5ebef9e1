// The `oras` backend module (package.json "sregistry.backends"): SIF images as ORAS artifacts in any OCI
// registry. pull/push/search/delete over the distribution API; the host's core is reached only through ./host.
import type { Backend, BackendContext, DeleteResult, ImageName, SearchResult } from '@sregistry/core';
import { OciClient, registryError, type Scope } from './client';
import { type Host, hostOf } from './host';
import { ACCEPT_MANIFESTS } from './media-types';
import { fetchManifest, resolveImage } from './pull';
import { DEFAULT_CHUNK_SIZE, pushImage } from './push';
import { toReference } from './reference';

export const description = 'OCI registries (oras://): SIF images as ORAS artifacts (Harbor, GHCR, Zot, Distribution)';
/** OCI tags are case-sensitive, repository names lower case (refused otherwise); `@sha256:` pins a manifest. */
/** The settings it reads, by the names `backend add oras <name> <value>` takes (SREGISTRY_ORAS_<NAME>). */
export const settings = {
  nohttps: 'true: registries are reached over plain http (a local registry without TLS)',
  chunk_size: 'bytes per PATCH of a blob upload, for a proxy that limits request bodies (default: one streamed PATCH)',
  page_size: 'entries asked for per page of a repository or tag listing (default 100; Distribution allows at most 1000)',
};

/** what `backend add` checks a value against: a wrong word stored would fail every later command */
export const settingKinds = {
  nohttps: 'yes/no',
  chunk_size: 'positive integer',
  page_size: 'positive integer',
} as const;

export const parseOptions = {
  lowercase: false,
  digestVersions: true,
  example: 'oras://<host>/<repository>[:<tag>|@sha256:<digest>], for example oras://ghcr.io/org/image:v1',
  loginCommand: 'sregistry oras login <host> --username <name> --password-stdin',
};

/** Where credentials are looked up: the session's HOME and DOCKER_CONFIG (a script's session may differ from process.env). */
function settingsEnv(ctx: BackendContext): Record<string, string | undefined> {
  return { ...process.env, HOME: ctx.settings.get('HOME') ?? process.env.HOME, DOCKER_CONFIG: ctx.settings.get('DOCKER_CONFIG') };
}

function nextPage(link: string | undefined, base: string): string | undefined {
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link ?? '');
  return m ? new URL(m[1], base).href : undefined;
}

/** Follows `Link: <…>; rel="next"` until the last page; `key` is the list in each page. */
async function listAll(
  host: Host,
  client: OciClient,
  scope: Scope,
  first: string,
  key: 'repositories' | 'tags',
  what: string,
): Promise<string[]> {
  const items: string[] = [];
  const seen = new Set<string>();
  for (let url: string | undefined = first; url && !seen.has(url); ) {
    seen.add(url);
    const page = await client.json<Record<string, unknown>>(scope, { path: url });
    if (page.status === 404) throw new host.UserError(`${what} is not in the registry`, { fix: 'check the name', code: 'ENOTFOUND' });
    if (page.status !== 200) {
      const { code, message } = registryError(host, page);
      throw new host.UserError(
        `${client.registry} answered ${page.status} when listing ${what}${code ? ` (${code}${message ? `: ${message}` : ''})` : ''}`,
        {
          fix:
            code === 'UNSUPPORTED' || page.status === 405
              ? 'this registry does not offer listing; search the registry web interface'
              : code === 'PAGINATION_NUMBER_INVALID'
                ? // the page size is ours to choose: Distribution refuses n above 1000 for the catalogue
                  'lower SREGISTRY_ORAS_PAGE_SIZE (Distribution allows at most 1000 entries per page)'
                : 'run with --debug to see the exchange',
          code: 'EHTTP',
        },
      );
    }
    // an answer without JSON (a web server's page) is no empty listing: it is the wrong address
    if (!page.isJson || page.data === null || typeof page.data !== 'object' || Array.isArray(page.data))
      throw client.notRegistry(page, `the listing of ${what}`);
    const list = page.data[key];
    if (Array.isArray(list)) items.push(...list.filter((x): x is string => typeof x === 'string'));
    url = nextPage(page.headers.link, client.base);
  }
  return items;
}

export function createBackend(ctx: BackendContext): Backend {
  const host = hostOf(ctx);
  const clients = new Map<string, OciClient>();
  // one client per registry and command: its tokens are cached for the command
  const clientFor = (registry: string) => {
    const known = clients.get(registry);
    if (known) return known;
    const client = new OciClient(host, ctx, registry, settingsEnv(ctx));
    clients.set(registry, client);
    return client;
  };
  // SREGISTRY_ORAS_PAGE_SIZE: entries asked for per page of a listing (the registry may send fewer)
  const pageSize = () => ctx.settings.positiveInteger?.('SREGISTRY_ORAS_PAGE_SIZE') ?? 100;
  // repository and tag names are the registry's text: escaped, and capped above the longest valid name (255, what
  // registries take for host and repository together; tags are at most 128) so that a name shown always pulls
  const text = (v: string) => host.printable(v, { max: 256 });
  const chunkSize = () => {
    return ctx.settings.positiveInteger?.('SREGISTRY_ORAS_CHUNK_SIZE') ?? DEFAULT_CHUNK_SIZE;
  };

  return {
    name: ctx.name,
    description,
    // the layer is typed as a SIF, and a pull (ours, Apptainer's) refuses anything else: refused before the upload
    pushFormats: ['sif'],
    async resolve(name: ImageName, options) {
      const ref = toReference(host, name);
      return resolveImage(host, clientFor(ref.host), ref, name, { signal: options?.signal, arch: options?.arch });
    },
    async push(request) {
      const ref = toReference(host, request.name);
      return pushImage(host, clientFor(ref.host), ref, request, chunkSize());
    },
    async search(query: string | undefined): Promise<SearchResult> {
      const [registry, ...parts] = (query ?? '').split('/');
      if (registry?.includes('@')) {
        // core's name parser refuses user:password@ in a pull's URI; a search URI is not parsed there
        const named = host.printable(registry.slice(registry.lastIndexOf('@') + 1), { max: 80 });
        throw new host.UserError(`the URI has a user name or password before its host (…@${named}): credentials do not go in the URI`, {
          fix: `remove them and log in instead: ${parseOptions.loginCommand.replace('<host>', named)}`,
          code: 'EBADNAME',
        });
      }
      if (!registry || !/[.:]|^localhost$/.test(registry)) {
        throw new host.UserError('search needs the registry: oras://<host>/ lists repositories, oras://<host>/<repository> its tags', {
          fix: 'for example sregistry search oras://ghcr.io/org/image',
          code: 'EBADNAME',
        });
      }
      const client = clientFor(registry);
      const repository = parts.join('/').replace(/\/+$/, '');
      if (!repository) {
        const repos = await listAll(
          host,
          client,
          'catalog',
          `${client.base}/v2/_catalog?n=${pageSize()}`,
          'repositories',
          `the catalogue of ${registry}`,
        );
        const names = repos.map(text);
        return {
          heading: `Repositories ${registry}`,
          rows: names.map((r) => [r]),
          items: names.map((repository) => ({ registry, repository })),
          emptyMessage: `No repositories in ${registry}`,
          emptyFix: `push one: sregistry push <file> --name oras://${registry}/<repository>:<tag>`,
        };
      }
      const ref = toReference(host, { original: `oras://${registry}/${repository}`, registry, tag: 'latest' } as ImageName);
      const scope: Scope = { repository: ref.repository, actions: ['pull'] };
      const tags = await listAll(
        host,
        client,
        scope,
        `${client.base}/v2/${ref.repository}/tags/list?n=${pageSize()}`,
        'tags',
        `${registry}/${ref.repository}`,
      );
      const names = tags.map(text);
      return {
        heading: `Tags ${registry}/${ref.repository}`,
        rows: names.map((t) => [`${ref.repository}:${t}`]),
        items: names.map((tag) => ({ registry, repository: ref.repository, tag })),
        emptyMessage: `No tags in ${registry}/${ref.repository}`,
        emptyFix: `its tags were deleted, or it was never pushed: sregistry push <file> --name oras://${registry}/${ref.repository}:<tag>`,
      };
    },
    async delete(name: ImageName): Promise<DeleteResult> {
      const ref = toReference(host, name);
      const client = clientFor(ref.host);
      const digest = ref.digest ?? (await fetchManifest(host, client, ref, ref.tag)).digest;
      const scope: Scope = { repository: ref.repository, actions: ['pull', 'delete'] };
      const answer = await client.json(scope, {
        method: 'DELETE',
        path: `/v2/${ref.repository}/manifests/${digest}`,
        headers: { Accept: ACCEPT_MANIFESTS },
      });
      if (answer.status === 202 || answer.status === 200) return { status: answer.status, message: `Deleted ${digest}`, uri: ref.display };
      const { code, message } = registryError(host, answer);
      if (answer.status === 405 || code === 'UNSUPPORTED') {
        throw new host.UserError(`${client.registry} does not allow deletes`, {
          fix: 'ask its administrator to enable them (Distribution: storage.delete.enabled)',
          code: 'ENOTSUPPORTED',
        });
      }
      if (answer.status === 404)
        throw new host.UserError(`${ref.display} is not in the registry`, { fix: 'check the name and tag', code: 'ENOTFOUND' });
      throw new host.UserError(
        `${client.registry} answered ${answer.status} to the delete of ${ref.display}${code ? ` (${code}${message ? `: ${message}` : ''})` : ''}`,
        {
          fix: answer.status === 403 ? 'check that your login may delete in this repository' : 'run with --debug to see the exchange',
          code: answer.status === 403 ? 'EPERM' : 'EHTTP',
        },
      );
    },
  };
}
