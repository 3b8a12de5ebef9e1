import type { BackendContext } from '@sregistry/core';

export const DEFAULT_HUB_BASE = 'https://singularity-hub.org';

/** Where the Hub's manifests live for this run, and why (for --debug). */
export interface HubBase {
  /** scheme://host[:port][/path] without a trailing `/` or `/api` */
  base: string;
  source: string;
  /** set when https:// was put in front of an address written without a scheme: the setting that makes it http */
  plainHttpSetting?: string;
}

/**
 * The Hub base: SREGISTRY_HUB_BASE (environment, then the secrets file's `hub` section), else the legacy
 * `base` that sregistry-cli's default secrets carried (`https://singularity-hub.org/api`), else the archive.
 * A trailing `/api` is dropped because the manifest route adds it; a base without a scheme gets https
 * (http with SREGISTRY_HUB_NOHTTPS), matching how a host written inside the URI is treated.
 */
export function hubBase(ctx: BackendContext): HubBase {
  // read whether or not the base needs it: a word that is no yes/no is refused in one line, not ignored
  const defaultScheme = scheme(ctx);
  const fromSetting = ctx.settings.get('SREGISTRY_HUB_BASE');
  const legacy = fromSetting === undefined ? ctx.settings.get('base') : undefined;
  const raw = (fromSetting ?? legacy)?.trim();
  if (!raw) return { base: DEFAULT_HUB_BASE, source: 'default' };
  const source = fromSetting !== undefined ? 'SREGISTRY_HUB_BASE' : 'the legacy hub.base setting';
  const typed = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw);
  const withScheme = typed ? raw : `${defaultScheme}://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw badBase(ctx, raw, source);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badBase(ctx, raw, source);
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api$/, '');
  return { base: `${url.protocol}//${url.host}${path}`, source, ...(typed ? {} : { plainHttpSetting: NOHTTPS }) };
}

const NOHTTPS = 'SREGISTRY_HUB_NOHTTPS';

/** https unless SREGISTRY_HUB_NOHTTPS says otherwise (for hosts without a scheme). */
export function scheme(ctx: BackendContext): 'http' | 'https' {
  return ctx.settings.getBoolean(NOHTTPS) ? 'http' : 'https';
}

/** Base for a registry host named inside the URI (`shub://host[:port][/path]/user/repo`). */
export function baseForRegistry(ctx: BackendContext, registry: string): HubBase {
  // a host in the URI cannot carry a scheme: the https is always ours
  return { base: `${scheme(ctx)}://${registry.replace(/\/+$/, '')}`, source: 'the host in the URI', plainHttpSetting: NOHTTPS };
}

function badBase(ctx: BackendContext, raw: string, source: string) {
  return new ctx.host.UserError(`The Singularity Hub base "${raw}" (from ${source}) is not an http(s) URL`, {
    fix: `set SREGISTRY_HUB_BASE to a URL such as ${DEFAULT_HUB_BASE}, or unset it to use the archive`,
    code: 'ESETTING',
  });
}
