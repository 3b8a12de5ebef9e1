// core's TLS errors in this backend's words: the settings that fix them are the registry's, which core cannot
// name. Every operation goes through explainTransport.
import type { BackendContext, ImageName } from '@sregistry/core';
import type { RegistryLocation } from './config';
import type { Runtime } from './runtime';

export async function explainTransport<T>(
  rt: Runtime,
  name: Pick<ImageName, 'registry' | 'scheme'> | undefined,
  op: () => Promise<T>,
): Promise<T> {
  try {
    return await op();
  } catch (error) {
    if (!rt.host.isUserError(error) || error.code !== 'ETLS') throw error;
    let location: RegistryLocation;
    try {
      location = rt.location(name);
    } catch {
      throw error;
    }
    throw plainHttp(rt, location, error);
  }
}

type CoreError = InstanceType<BackendContext['host']['UserError']>;

/**
 * A failed TLS handshake with an https:// registry most often means a plain-http server (a local one): the
 * original said "try exporting SREGISTRY_REGISTRY_NOHTTPS" (client-spec §6.4). That switch only acts on an
 * address written without a scheme; one written with https:// has to be rewritten. Certificate problems
 * (the server does speak TLS) keep core's fix.
 */
function plainHttp(rt: Runtime, location: RegistryLocation, error: CoreError): Error {
  if (!location.root.startsWith('https:') || !/TLS handshake/.test(error.message)) return error;
  const where =
    location.source === 'name' ? 'the image name' : location.source === 'base' ? 'the "base" setting' : 'SREGISTRY_REGISTRY_BASE';
  const hint = location.schemeAssumed
    ? 'if the registry speaks plain http, export SREGISTRY_REGISTRY_NOHTTPS=1'
    : `if the registry speaks plain http, write http:// in ${where}`;
  return new rt.host.UserError(error.message, {
    fix: `${error.fix ? `${error.fix}; ` : ''}${hint}`,
    code: error.code,
    exitCode: error.exitCode,
    cause: error,
  });
}
