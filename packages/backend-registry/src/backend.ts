// The `registry` backend module (package.json "sregistry.backends"): a Singularity Registry Server's native
// API. The host injects its @sregistry/core as ctx.host, so nothing here loads core at run time.
import type { Backend, BackendContext } from '@sregistry/core';
import { deleteImage } from './delete';
import { searchLabels } from './labels';
import { explainMissingBase } from './no-base';
import { pushImage } from './push';
import { resolveImage } from './resolve';
import { Runtime, type RuntimeOptions } from './runtime';
import { searchRegistry } from './search';

export const description = 'Singularity Registry Server (sregistry): pull, push, search, delete, labels';
/** What `sregistry backend add registry <name> <value>` may store. */
export const settings = {
  base: 'the Registry Server address, e.g. https://registry.example.org',
  username: 'your user name on the registry (from its token page)',
  token: 'your API token (from the registry token page); never shown',
  nohttps: 'set to use http:// for a base or host given without a scheme',
};

/** Like createBackend, with a clock that tests can move. */
export function createRegistryBackend(ctx: BackendContext, options: RuntimeOptions = {}): Backend {
  const rt = new Runtime(ctx, options);
  return {
    name: ctx.name,
    description,
    resolve: (name, pullOptions) => explainMissingBase(rt, name, () => resolveImage(rt, name, pullOptions)),
    push: (request) => explainMissingBase(rt, request.name, () => pushImage(rt, request)),
    search: (query) => explainMissingBase(rt, undefined, () => searchRegistry(rt, query)),
    labels: (query) => explainMissingBase(rt, undefined, () => searchLabels(rt, query)),
    delete: (name) => explainMissingBase(rt, name, () => deleteImage(rt, name)),
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
