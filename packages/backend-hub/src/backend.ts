import type { Backend, BackendContext, ImageName, PullOptions, RemoteImage, SearchResult } from '@sregistry/core';
import { readOnly } from './errors';
import { toHubRef } from './ref';
import { toRemoteImage } from './remote-image';
import { resolveRef } from './resolve';
import { baseForRegistry, DEFAULT_HUB_BASE, hubBase } from './settings';

// This module is loaded by the host at run time: it imports only types from @sregistry/core (a peer
// dependency) and uses the host API through `ctx.host`.

export const schemes = ['shub'];
/** The Hub is case-sensitive: `Vsoch/Hello:V1` is not `vsoch/hello:v1`. */
export const parseOptions = { lowercase: false };
export const description = 'Singularity Hub (shub://): pull from the read-only archive of Singularity Hub builds';
/** What `sregistry backend add hub <name> <value>` may store. */
export const settings = {
  base: `the Hub (or a Hub-compatible server) to pull from; default ${DEFAULT_HUB_BASE}`,
  nohttps: 'set to use http:// for a base or host given without a scheme',
};

/** what `backend add` checks a value against: a wrong word stored would fail every later command */
export const settingKinds = { nohttps: 'yes/no' } as const;

type Ctx = Pick<BackendContext, 'host'>;

/** The archive kept only the pull route; answering with a clear error beats a 404 from a dead endpoint. */
export async function search(ctx: Ctx, _query?: string): Promise<SearchResult> {
  throw readOnly(ctx, 'search');
}

export async function labels(ctx: Ctx): Promise<SearchResult> {
  throw readOnly(ctx, 'labels');
}

export function createBackend(ctx: BackendContext): Backend {
  // Read once: a broken SREGISTRY_HUB_BASE should fail the first operation, not be silently replaced.
  let configured: ReturnType<typeof hubBase> | undefined;
  const base = () => (configured ??= hubBase(ctx));

  return {
    name: ctx.name,
    description,
    // search and labels exist only to explain that the archive has no such API
    capabilities: ['pull'],
    async resolve(name: ImageName, options?: PullOptions): Promise<RemoteImage> {
      const ref = toHubRef(ctx, name);
      const target = ref.registry ? baseForRegistry(ctx, ref.registry) : base();
      const where = target.base === DEFAULT_HUB_BASE ? 'Singularity Hub' : `Singularity Hub at ${target.base}`;
      ctx.log.debug(`hub: base ${target.base} (from ${target.source})`);
      // an https:// we filled in: the host names SREGISTRY_HUB_NOHTTPS if the TLS handshake fails
      const found = await resolveRef(ctx, target.base, where, ref, options?.signal, target.plainHttpSetting);
      return toRemoteImage(ctx, name, ref, found);
    },
    search: (query: string | undefined) => search(ctx, query),
    labels: () => labels(ctx),
    describe() {
      const { base: url } = base();
      return url === DEFAULT_HUB_BASE ? undefined : `[base|${url}]`;
    },
  };
}
