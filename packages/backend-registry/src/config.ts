// Where the registry is: its API root and upload URL for one request (client-spec §6.1, with defect 10 fixed:
// `/api` is handled the same way whether the registry comes from the settings or from the image name).
import type { BackendContext, BackendSettings, ImageName } from '@sregistry/core';

export interface RegistryLocation {
  /** scheme://host[:port][/path], no trailing `/`, no `/api`: what messages name */
  root: string;
  /** `<root>/api`, the native API */
  api: string;
  /** `<root>/upload`, the nginx upload-module location of push step 2 */
  upload: string;
  /** where the location came from, for the debug line */
  source: 'SREGISTRY_REGISTRY_BASE' | 'base' | 'name';
  /** https:// was put in front of an address written without a scheme (SREGISTRY_REGISTRY_NOHTTPS would change it) */
  schemeAssumed?: boolean;
}

type Host = BackendContext['host'];

/** The configured base: SREGISTRY_REGISTRY_BASE, else the token page's legacy `base` key. */
export function configuredBase(settings: BackendSettings): { value: string; source: 'SREGISTRY_REGISTRY_BASE' | 'base' } | undefined {
  const modern = settings.get('SREGISTRY_REGISTRY_BASE')?.trim();
  if (modern) return { value: modern, source: 'SREGISTRY_REGISTRY_BASE' };
  const legacy = settings.get('base')?.trim();
  if (legacy) return { value: legacy, source: 'base' };
  return undefined;
}

/**
 * Turns a base or a host from a name into a location. A string without a scheme gets `https://`, or `http://`
 * when SREGISTRY_REGISTRY_NOHTTPS says yes (or `scheme` says which, e.g. from `http://host/c/n`).
 */
export function locate(
  host: Host,
  settings: BackendSettings,
  raw: string,
  source: RegistryLocation['source'],
  scheme?: 'http' | 'https',
): RegistryLocation {
  const what =
    source === 'base'
      ? 'the registry base (legacy "base" setting)'
      : source === 'name'
        ? 'the registry in the image name'
        : 'SREGISTRY_REGISTRY_BASE';
  const bad = (problem: string) =>
    new host.UserError(`${what} "${host.printable(raw, { max: 80 })}" ${problem}`, {
      fix: 'set it to the registry address, e.g. export SREGISTRY_REGISTRY_BASE=https://registry.example.org',
      code: 'EBADBASE',
    });
  // read whether or not this base needs it: a word that is no yes/no is refused in one line, not taken for yes
  const noHttps = settings.getBoolean('SREGISTRY_REGISTRY_NOHTTPS');
  let text = raw.trim();
  let schemeAssumed = false;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    // a scheme-less base must be a plain host[:port][/path]: anything else would be guessed into a wrong URL
    if (!/^[A-Za-z0-9.\-[\]:]+(\/[A-Za-z0-9._~\-/]*)?$/.test(text)) throw bad('is not a URL');
    const completed = scheme ?? (noHttps ? 'http' : 'https');
    schemeAssumed = scheme === undefined && completed === 'https';
    text = `${completed}://${text}`;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('must start with http:// or https://');
  if (url.username || url.password) throw bad('must not contain a user name or password (use SREGISTRY_REGISTRY_USERNAME and _TOKEN)');
  if (!url.hostname) throw bad('has no host');
  const pathname = url.pathname
    .replace(/\/{2,}/g, '/')
    .replace(/\/+$/, '')
    .replace(/\/api$/i, '');
  const root = `${url.protocol}//${url.host}${pathname}`;
  return { root, api: `${root}/api`, upload: `${root}/upload`, source, ...(schemeAssumed ? { schemeAssumed } : {}) };
}

/**
 * The registry for one request: a host in the name (`registry.example.org/c/n`, `127.0.0.1:5000/c/n`) is the
 * user's most specific word and wins, as in the original; then SREGISTRY_REGISTRY_BASE, then the legacy
 * `base`. When the name's host is the base's host, the base is used as written, so an `http://` base or a path
 * prefix is not lost to scheme completion. With none of the three there is no registry (client-spec §6.4 step 1).
 */
export function registryFor(
  host: Host,
  settings: BackendSettings,
  name?: Pick<ImageName, 'registry' | 'scheme'>,
  options: { hostInName?: boolean } = {},
): RegistryLocation {
  const base = configuredBase(settings);
  const nameHost = name?.registry;
  if (nameHost) {
    const scheme = name?.scheme === 'http' || name?.scheme === 'https' ? name.scheme : undefined;
    const fromName = locate(host, settings, nameHost, 'name', scheme);
    // the same host as the base: keep the base's scheme and path (`http://` base, `/sub` prefix)
    if (base) {
      const fromBase = locate(host, settings, base.value, base.source);
      if (sameHost(fromBase.root, fromName.root)) return fromBase;
    }
    return fromName;
  }
  if (base) return locate(host, settings, base.value, base.source);
  throw noBase(host, options.hostInName !== false);
}

/**
 * No address anywhere: stop before any request. A guessed local default (http://127.0.0.1) would send the user
 * name and a signature valid for the hour to whatever listens on port 80 of a shared login node.
 */
/** No registry at all; `hostInName` when the command takes a name that could carry one (labels takes none). */
function noBase(host: Host, hostInName: boolean): Error {
  const settings =
    'sregistry backend add registry base https://registry.example.org, export SREGISTRY_REGISTRY_BASE=https://registry.example.org';
  return new host.UserError('You must define a base in secrets, image uri, or environment', {
    fix: hostInName
      ? `${settings}, or name the host: registry://registry.example.org/collection/name:tag`
      : `${settings.replace(', export', ' or export')}`,
    code: 'ENOBASE',
  });
}

function sameHost(a: string, b: string): boolean {
  const ua = new URL(a);
  const ub = new URL(b);
  if (ua.hostname !== ub.hostname) return false;
  // a name without a port means the scheme's default port, which the base may spell out or leave out
  return ua.port === ub.port || ub.port === '' || ua.port === '';
}
