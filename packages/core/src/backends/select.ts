import type { Env } from '../settings/env';
import type { SecretsFile } from '../settings/secrets';
import { splitScheme } from '../uri/scheme';
import type { BackendRegistry } from './registry';

export interface Selection {
  name: string;
  /** why this backend: scheme, env, secrets or default */
  reason: 'scheme' | 'env' | 'secrets' | 'default';
}

/**
 * The original's order (client-spec §1 step 7): the URI's scheme, then SREGISTRY_CLIENT, then the secrets
 * file's SREGISTRY_CLIENT, then `hub`. Unlike the original, an unknown name is not silently replaced by the
 * hub: it is returned as is, and loading it gives a "not installed" error with the install command.
 */
export function selectBackend(options: { uri?: string; env: Env; secrets?: SecretsFile; registry: BackendRegistry }): Selection {
  if (options.uri) {
    const { scheme } = splitScheme(options.uri);
    if (scheme) {
      const byScheme = options.registry.byScheme(scheme);
      if (byScheme) return { name: byScheme, reason: 'scheme' };
      if (scheme !== 'http' && scheme !== 'https') return { name: scheme, reason: 'scheme' };
    }
  }
  const fromEnv = options.env.SREGISTRY_CLIENT?.trim();
  if (fromEnv) return { name: fromEnv.toLowerCase(), reason: 'env' };
  const fromFile = options.secrets?.activeClient();
  if (fromFile) return { name: fromFile.toLowerCase(), reason: 'secrets' };
  return { name: 'hub', reason: 'default' };
}
