// core's transport errors (cannot reach, TLS, time-outs) in this backend's words: the settings that fix them are
// the registry's, which core cannot name. Every operation goes through explainTransport.
import type { BackendContext, ImageName } from '@sregistry/core';
import type { RegistryLocation } from './config';
import type { Runtime } from './runtime';

const UNREACHABLE = new Set(['ENETWORK', 'ETIMEOUT', 'ETLS']);

export async function explainTransport<T>(
  rt: Runtime,
  name: Pick<ImageName, 'registry' | 'scheme'> | undefined,
  op: () => Promise<T>,
): Promise<T> {
  try {
    return await op();
  } catch (error) {
    if (!rt.host.isUserError(error) || !UNREACHABLE.has(error.code)) throw error;
    let location: RegistryLocation;
    try {
      location = rt.location(name);
    } catch {
      throw error;
    }
    if (location.source === 'default') throw missingBase(rt, location, error);
    if (error.code === 'ETLS') throw plainHttp(rt, location, error);
    throw error;
  }
}

type CoreError = InstanceType<BackendContext['host']['UserError']>;

/**
 * Without SREGISTRY_REGISTRY_BASE (or a host in the name) requests go to the server's own default address,
 * http://127.0.0.1. When nothing answers there, "cannot reach http://127.0.0.1" blames an address the user never
 * set: say instead that no address is set and how to set one, and name the default only as what was tried.
 */
function missingBase(rt: Runtime, location: RegistryLocation, error: CoreError): Error {
  const why = error.message.replace(/^cannot reach \S+: /, '');
  return new rt.host.UserError(`no registry address is set (tried the local default ${location.root}: ${why})`, {
    fix: 'set it with: sregistry backend add registry base https://registry.example.org, or export SREGISTRY_REGISTRY_BASE=https://…',
    code: 'ENOBASE',
    cause: error,
  });
}

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
