// The `registry` backend module (package.json "sregistry.backends"): a Singularity Registry Server's native
// API. The host injects its @sregistry/core as ctx.host, so nothing here loads core at run time.
import type { Backend, BackendContext } from '@sregistry/core';
import { deleteImage } from './delete';
import { searchLabels } from './labels';
import { pushImage } from './push';
import { resolveImage } from './resolve';
import { Runtime, type RuntimeOptions } from './runtime';
import { searchRegistry } from './search';

export const description = 'Singularity Registry Server (sregistry): pull, push, search, delete, labels';

/** Like createBackend, with a clock that tests can move. */
export function createRegistryBackend(ctx: BackendContext, options: RuntimeOptions = {}): Backend {
  const rt = new Runtime(ctx, options);
  return {
    name: ctx.name,
    description,
    resolve: (name, pullOptions) => resolveImage(rt, name, pullOptions),
    push: (request) => pushImage(rt, request),
    search: (query) => searchRegistry(rt, query),
    labels: (query) => searchLabels(rt, query),
    delete: (name) => deleteImage(rt, name),
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
