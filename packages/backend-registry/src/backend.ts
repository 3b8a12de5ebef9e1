// The `registry` backend module (package.json "sregistry.backends"): a Singularity Registry Server's native
// API. The host injects its @sregistry/core as ctx.host, so nothing here loads core at run time.
import type { Backend, BackendContext } from '@sregistry/core';
import { Runtime, type RuntimeOptions } from './runtime';
import { explainTransport } from './transport';

// Each operation's module is loaded when it is first used: a pull or a search does not load push, delete and labels
// (every command's start-up, docs/performance.md).
/* eslint-disable @typescript-eslint/no-require-imports */
const resolveOp = () => require('./resolve') as typeof import('./resolve');
const pushOp = () => require('./push') as typeof import('./push');
const searchOp = () => require('./search') as typeof import('./search');
const labelsOp = () => require('./labels') as typeof import('./labels');
const deleteOp = () => require('./delete') as typeof import('./delete');
/* eslint-enable @typescript-eslint/no-require-imports */

export const description = 'Singularity Registry Server (sregistry): pull, push, search, delete, labels';
/** What `sregistry backend add registry <name> <value>` may store. */
export const settings = {
  base: 'the Registry Server address, e.g. https://registry.example.org',
  username: 'your user name on the registry (from its token page)',
  token: 'your API token (from the registry token page); never shown',
  nohttps: 'set to use http:// for a base or host given without a scheme',
};

/** what `backend add` checks a value against: a wrong word stored would fail every later command */
export const settingKinds = { nohttps: 'yes/no' } as const;

/** Like createBackend, with a clock that tests can move. */
export function createRegistryBackend(ctx: BackendContext, options: RuntimeOptions = {}): Backend {
  const rt = new Runtime(ctx, options);
  return {
    name: ctx.name,
    description,
    resolve: (name, pullOptions) => explainTransport(rt, name, () => resolveOp().resolveImage(rt, name, pullOptions)),
    push: (request) => explainTransport(rt, request.name, () => pushOp().pushImage(rt, request)),
    search: (query) => explainTransport(rt, undefined, () => searchOp().searchRegistry(rt, query)),
    labels: (query) => explainTransport(rt, undefined, () => labelsOp().searchLabels(rt, query)),
    delete: (name) => explainTransport(rt, name, () => deleteOp().deleteImage(rt, name)),
    describe() {
      try {
        return `[${ctx.name}|${rt.location().root}]`;
      } catch {
        // a broken base is reported by the operation itself, with its fix
        return undefined;
      }
    },
  };
}

export function createBackend(ctx: BackendContext): Backend {
  return createRegistryBackend(ctx);
}
