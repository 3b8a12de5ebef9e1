// The one place this plugin touches @sregistry/core. The backend receives the host API at run time (`ctx.host`);
// everything else in the plugin uses the narrow `Host` below. Commands find the host's command API from the
// CLI's entry.
import { createRequire } from 'node:module';
import type { BackendContext, BackendHost } from '@sregistry/core';
import type * as CommandApi from '@sregistry/core/command';

/** What the backend uses of core: errors, JSON requests, raw file uploads, redaction and printable server text, digests. */
export type Host = Pick<
  BackendHost,
  | 'apiVersion'
  | 'UserError'
  | 'isUserError'
  | 'requestJson'
  | 'uploadFile'
  | 'imageArch'
  | 'redactUrl'
  | 'urlOrigin'
  | 'printable'
  | 'fileDigests'
>;
export type { JsonRequest, JsonResponse } from '@sregistry/core';

/** The host API version whose members this plugin needs (uploadFile, RemoteImage.parts, PullOptions.arch). */
const NEEDED = [1, 2];

export function hostOf(ctx: Pick<BackendContext, 'host'>): Host {
  const host = ctx.host;
  const [major, minor] = String(host.apiVersion ?? '0.0')
    .split('.')
    .map(Number);
  if (major !== NEEDED[0] || minor < NEEDED[1] || typeof host.uploadFile !== 'function' || typeof host.imageArch !== 'function') {
    throw new host.UserError(`@sregistry/backend-library needs host API ${NEEDED.join('.')}, and this sregistry has ${host.apiVersion}`, {
      fix: 'update sregistry (npm install -g @sregistry/cli@latest)',
      code: 'EINCOMPATIBLE',
    });
  }
  return host;
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
