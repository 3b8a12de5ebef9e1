import fs from 'node:fs';
import path from 'node:path';
import type { Capability } from '../contracts/backend';
import { shellWord } from '../output/shell-word';

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

/**
 * The folder of a first-party plugin's package in the checkout this code runs from (`<root>/packages/backend-<name>`),
 * if it runs from one. The packages are not on the public npm registry yet, so `plugins install` works only against
 * a registry that holds them; a user of the checkout can link the plugin instead. An install from npm (a path
 * through node_modules) is never a checkout.
 */
export function checkoutPluginFolder(backend: KnownBackend, from: string = __dirname): string | undefined {
  let dir = path.resolve(from);
  if (dir.split(path.sep).includes('node_modules')) return undefined;
  for (;;) {
    const folder = path.join(dir, 'packages', `backend-${backend.name}`);
    try {
      if (JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')).name === backend.package) return folder;
    } catch {
      // no such package here: look further up
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * The fix for a missing first-party plugin (or the first of several that would do, each named with its scheme):
 * `plugins link <folder> --no-install` when the CLI runs from a checkout that holds them (its dependencies are
 * installed already), else `plugins install` from an npm registry that holds them.
 */
export function installFix(backends: readonly KnownBackend[], from?: string): string {
  const scheme = (b: KnownBackend) => (backends.length > 1 ? ` (for ${b.name}://)` : '');
  const either = (items: string[]) => (items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items.at(-1)}` : (items[0] ?? ''));
  const folders = backends.map((b) => checkoutPluginFolder(b, from));
  if (backends.length > 0 && folders.every((f) => f !== undefined)) {
    return `run: ${either(backends.map((b, i) => `sregistry plugins link ${shellWord(folders[i] as string)} --no-install${scheme(b)}`))}`;
  }
  const them = backends.length > 1 ? 'them' : 'it';
  return `run: sregistry plugins install ${either(backends.map((b) => `${b.package}${scheme(b)}`))}, with SREGISTRY_NPM_REGISTRY=<url> naming an npm registry that holds ${them} (the public one does not yet)`;
}

export function installHint(backend: string, from?: string): string {
  const known = KNOWN_BACKENDS.find((b) => b.name === backend);
  return known
    ? installFix([known], from)
    : `install a plugin that provides it (sregistry plugins install <package>), or see: sregistry backend ls`;
}

/** The known plugins whose backends offer `capability`, leaving out the installed ones. */
export function pluginsOffering(capability: Capability, installed: Iterable<string> = []): KnownBackend[] {
  const have = new Set(installed);
  return KNOWN_BACKENDS.filter((b) => b.capabilities.includes(capability) && !have.has(b.package));
}
