// Without SREGISTRY_REGISTRY_BASE (or a host in the name) requests go to the server's own default address,
// http://127.0.0.1. When nothing answers there, "cannot reach http://127.0.0.1" blames an address the user never
// set: say instead that no address is set and how to set one, and name the default only as what was tried.
import type { ImageName } from '@sregistry/core';
import type { Runtime } from './runtime';

const UNREACHABLE = new Set(['ENETWORK', 'ETIMEOUT', 'ETLS']);

export async function explainMissingBase<T>(
  rt: Runtime,
  name: Pick<ImageName, 'registry' | 'scheme'> | undefined,
  op: () => Promise<T>,
): Promise<T> {
  try {
    return await op();
  } catch (error) {
    if (!rt.host.isUserError(error) || !UNREACHABLE.has(error.code)) throw error;
    let location: ReturnType<Runtime['location']>;
    try {
      location = rt.location(name);
    } catch {
      throw error;
    }
    if (location.source !== 'default') throw error;
    const why = error.message.replace(/^cannot reach \S+: /, '');
    throw new rt.host.UserError(`no registry address is set (tried the local default ${location.root}: ${why})`, {
      fix: 'set it with: sregistry backend add registry base https://registry.example.org, or export SREGISTRY_REGISTRY_BASE=https://…',
      code: 'ENOBASE',
      cause: error,
    });
  }
}
