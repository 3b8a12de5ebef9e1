// The one place this plugin touches @sregistry/core. The backend receives the host API at run time (`ctx.host`);
// everything else in the plugin uses the narrow `Host` below. Commands find the host's command API from the
// CLI's entry.
import { createRequire } from 'node:module';
import type { BackendContext, BackendHost } from '@sregistry/core';
import type * as CommandApi from '@sregistry/core/command';

/** What the backend uses of core: errors, JSON requests, redaction and printable server text, digests, atomic writes and file locks, the retry policy. */
export type Host = Pick<
  BackendHost,
  | 'UserError'
  | 'isUserError'
  | 'requestJson'
  | 'redactUrl'
  | 'printable'
  | 'fileDigests'
  | 'writeFileAtomic'
  | 'retryPolicy'
  | 'withFileLock'
>;
export type { JsonRequest, JsonResponse } from '@sregistry/core';

export function hostOf(ctx: Pick<BackendContext, 'host'>): Host {
  return ctx.host;
}

/** The CLI's command API (found from its entry point, so a plugin never brings a second core). */
export function hostCommandApi(): typeof CommandApi {
  const entries = [require.main?.filename, process.argv[1]].filter((p): p is string => Boolean(p));
  for (const entry of entries) {
    try {
      return createRequire(entry)('@sregistry/core/command') as typeof CommandApi;
    } catch {
      // not resolvable from there: try the next place
    }
  }
  // development only (a workspace, `oclif manifest`): the plugin's own devDependency
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@sregistry/core/command') as typeof CommandApi;
}

/** The host API for a plugin command, narrowed like the backend's. */
export function commandHost(): Host {
  return hostCommandApi().backendHost();
}
