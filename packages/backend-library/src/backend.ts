// The `library` backend module (package.json "sregistry.backends"): the Sylabs Library API that `apptainer
// pull/push library://` speaks, as the Singularity Registry Server, Sylabs Cloud and other Library servers
// offer it. pull/push/search/delete; the host's core is reached only through ./host.
import type { Backend, BackendContext, DeleteOptions, DeleteResult, ImageName, SearchResult } from '@sregistry/core';
import { chooseTarget, LibraryClient } from './client';
import { type Host, hostOf } from './host';
import { otherArches, type PartsSetting, resolveImage, wrongArch } from './pull';
import { MULTIPART_THRESHOLD, pushImage } from './push';
import { display, type LibraryReference, machineArch, refPath, toReference } from './reference';

/** Local lookups of a library:// URI use the name its pull catalogues (reference.ts). */
export { localName } from './reference';

export const description = 'Library API servers (library://): Singularity Registry Server, Sylabs Cloud';
/** `@sha256.<hex>` pins are read by the backend itself (reference.ts); names are lower case, as the library's. */
export const parseOptions = {
  lowercase: true,
  digestVersions: false,
  example: 'library://[host/]entity/collection/container[:tag], for example library://alice/tools/tacos:v1',
};
export const settings = {
  base: 'the Library API (or its web front end), e.g. https://library.sylabs.io; default: the active remote of ~/.apptainer/remote.yaml',
  token: 'the Bearer token (sregistry library login stores it); default: the token of that remote',
  arch: 'architecture pulled when --arch is not given, and pushed for a file that names none (default: this machine)',
  concurrency: 'parallel ranged parts per download (default 3; 1 downloads in one stream)',
  part_size: 'bytes per downloaded part (default 5 MiB)',
  multipart_threshold: 'files larger than this many bytes are pushed in multipart uploads (default 64 MiB)',
  nohttps: 'true: a host in the URI is reached over plain http',
};

/** what `backend add` checks a value against: a wrong word stored would fail every later command */
export const settingKinds = {
  concurrency: 'positive integer',
  part_size: 'positive integer',
  multipart_threshold: 'positive integer',
  nohttps: 'yes/no',
} as const;

const MIB = 1024 * 1024;

interface SearchEntry {
  name?: unknown;
  entityName?: unknown;
  collectionName?: unknown;
  imageTags?: unknown;
  archTags?: unknown;
  description?: unknown;
  [key: string]: unknown;
}

export function createBackend(ctx: BackendContext): Backend {
  const host = hostOf(ctx);
  const clients = new Map<string, LibraryClient>();
  const clientFor = (ref: Pick<LibraryReference, 'host'>) => {
    const key = ref.host ?? '';
    let client = clients.get(key);
    if (!client) {
      client = new LibraryClient(host, ctx, chooseTarget(host, ctx, ref.host));
      clients.set(key, client);
    }
    return client;
  };
  const arch = (asked?: string) => asked?.trim() || ctx.settings.get('SREGISTRY_LIBRARY_ARCH')?.trim() || machineArch();
  const parts = (): PartsSetting => ({
    concurrency: ctx.settings.positiveInteger?.('SREGISTRY_LIBRARY_CONCURRENCY') ?? 3,
    size: ctx.settings.positiveInteger?.('SREGISTRY_LIBRARY_PART_SIZE') ?? 5 * MIB,
  });

  return {
    name: ctx.name,
    description,
    async resolve(name: ImageName, options) {
      const ref = toReference(host, name);
      return resolveImage(host, clientFor(ref), ref, name, { arch: arch(options?.arch), parts: parts(), signal: options?.signal });
    },
    async push(request) {
      const ref = toReference(host, request.name);
      // the image's own architecture, as Apptainer reads it from the SIF header; else the setting or this machine
      return pushImage(host, clientFor(ref), ref, request, {
        arch: (await host.imageArch(request.file)) ?? arch(),
        multipartThreshold: ctx.settings.positiveInteger?.('SREGISTRY_LIBRARY_MULTIPART_THRESHOLD') ?? MULTIPART_THRESHOLD,
      });
    },
    search: (query) => search(host, clientFor, query),
    async delete(name: ImageName, options?: DeleteOptions): Promise<DeleteResult> {
      const ref = toReference(host, name);
      const client = clientFor(ref);
      const wanted = arch(options?.arch);
      const answer = await client.call(`/v1/images/${refPath(ref)}`, { method: 'DELETE', query: { arch: wanted } });
      if (answer.status === 200 || answer.status === 204) return { status: answer.status, message: `Deleted ${display(ref)}` };
      if (answer.status === 401 || answer.status === 403) throw client.authError(answer.status, `delete ${display(ref)}`, answer);
      // a Library error envelope says the image is missing; a bare 404/405 (an HTML page, DRF's detail) says the
      // server has no such route at all (the Registry Server)
      const envelope = (answer.data as { error?: unknown } | undefined)?.error;
      if (answer.status === 404 && envelope) {
        // the tag may be there for other architectures only (delete --force asks nothing first)
        const others = ref.entity && !ref.hash ? await otherArches(client, ref, wanted) : [];
        if (others.length > 0) throw wrongArch(host, ref, wanted, others);
        throw new host.UserError(`${display(ref)} is not in the library`, { fix: 'check the name and tag', code: 'ENOTFOUND' });
      }
      if (answer.status === 404 || answer.status === 405 || answer.status === 501) {
        throw new host.UserError(`${host.urlOrigin(client.target.url)} does not offer deleting images through the Library API`, {
          fix: "delete it on the server's web page",
          code: 'ENOTSUPPORTED',
        });
      }
      throw client.unexpected(answer.status, `the delete of ${display(ref)}`, answer);
    },
    describe: () => clientFor({}).describe(),
  };
}

async function search(
  host: Host,
  clientFor: (ref: Pick<LibraryReference, 'host'>) => LibraryClient,
  query: string | undefined,
): Promise<SearchResult> {
  const raw = (query ?? '').trim().replace(/^library:\/\//i, '');
  // `library://<host>/<words>` searches that server
  const slash = raw.indexOf('/');
  const first = slash >= 0 ? raw.slice(0, slash) : '';
  const serverHost = /[.:]/.test(first) || first === 'localhost' ? first : undefined;
  const value = serverHost ? raw.slice(slash + 1) : raw;
  if (value.length < 3) {
    throw new host.UserError('a library search needs at least 3 characters', {
      fix: 'for example sregistry search library://alpine',
      code: 'EUSAGE',
    });
  }
  const client = clientFor({ host: serverHost });
  const answer = await client.call<{ data?: Record<string, unknown> }>('/v1/search', { query: { value } });
  const where = host.urlOrigin(client.target.url);
  if (answer.status === 404 || answer.status === 405 || answer.status === 501 || (answer.status === 200 && !answer.isJson)) {
    throw new host.UserError(`${where} has no search in its Library API (the Singularity Registry Server has none)`, {
      fix: "search on the server's web page",
      code: 'ENOTSUPPORTED',
    });
  }
  if (answer.status === 401 || answer.status === 403) throw client.authError(answer.status, 'search', answer);
  if (answer.status !== 200) throw client.unexpected(answer.status, 'the search', answer);
  const data = (answer.data?.data ?? {}) as Record<string, unknown>;
  const list = (...keys: string[]) => {
    for (const k of keys) if (Array.isArray(data[k])) return data[k] as SearchEntry[];
    return [];
  };
  // the server's text, escaped; capped above any real name so that a name shown is whole
  const text = (v: unknown) => (typeof v === 'string' ? host.printable(v, { max: 256 }) : '');
  const rows: string[][] = [];
  const items: unknown[] = [];
  for (const e of list('entity', 'entities')) {
    rows.push(['entity', `library://${text(e.name)}`, '']);
    items.push({ type: 'entity', name: text(e.name) });
  }
  for (const c of list('collection', 'collections')) {
    const name = `${text(c.entityName)}/${text(c.name)}`;
    rows.push(['collection', `library://${name}`, '']);
    items.push({ type: 'collection', name });
  }
  for (const c of list('container', 'containers')) {
    const name = `${text(c.entityName)}/${text(c.collectionName)}/${text(c.name)}`;
    const tags = c.imageTags && typeof c.imageTags === 'object' ? Object.keys(c.imageTags as object).map((t) => text(t)) : [];
    rows.push(['container', `library://${name}`, tags.join(',')]);
    items.push({ type: 'container', name, tags });
  }
  return {
    heading: `Library search "${host.printable(value, { max: 60 })}" on ${where}`,
    rows,
    items,
    emptyMessage: `Nothing in ${where} matches "${host.printable(value, { max: 60 })}"`,
    // a library search takes 3 characters or more and cannot list everything: core's default advice would not work
    emptyFix: 'check the spelling, or search for a shorter part of the name (3 characters at least)',
  };
}
