import type { Capability } from '../contracts/backend';

/** A first-party backend: the plugin that provides it and what it can do, for "not installed" hints. */
export interface KnownBackend {
  name: string;
  package: string;
  capabilities: readonly Capability[];
}

export const KNOWN_BACKENDS: readonly KnownBackend[] = [
  { name: 'hub', package: '@sregistry/backend-hub', capabilities: ['pull'] },
  { name: 'library', package: '@sregistry/backend-library', capabilities: ['pull', 'push', 'search', 'delete'] },
  { name: 'oras', package: '@sregistry/backend-oras', capabilities: ['pull', 'push', 'search', 'delete'] },
  { name: 'registry', package: '@sregistry/backend-registry', capabilities: ['pull', 'push', 'search', 'delete', 'labels'] },
];

/** The package of each first-party backend. */
export const KNOWN_BACKEND_PACKAGES: Record<string, string> = Object.fromEntries(KNOWN_BACKENDS.map((b) => [b.name, b.package]));

export function installHint(backend: string): string {
  const pkg = KNOWN_BACKEND_PACKAGES[backend];
  return pkg
    ? `run: sregistry plugins install ${pkg}`
    : `install a plugin that provides it (sregistry plugins install <package>), or see: sregistry backend ls`;
}

/** The known plugins whose backends offer `capability`, leaving out the installed ones. */
export function pluginsOffering(capability: Capability, installed: Iterable<string> = []): KnownBackend[] {
  const have = new Set(installed);
  return KNOWN_BACKENDS.filter((b) => b.capabilities.includes(capability) && !have.has(b.package));
}
