import path from 'node:path';
import { compareLikeLocale } from '../text/order';
import { type CoreMismatch, coreMismatch } from './compat';

/** How a plugin's package.json declares its backends: `"sregistry": {"backends": {"<name>": "./dist/backend.js"}}`
 *  or, to add URI schemes, `{"<name>": {"module": "./dist/backend.js", "schemes": ["shub"]}}`. */
export type BackendDeclaration = string | { module: string; schemes?: string[]; description?: string };

export interface PluginLike {
  name: string;
  version?: string;
  root: string;
  type?: string;
  pjson?: {
    sregistry?: { backends?: Record<string, BackendDeclaration> };
    version?: string;
    name?: string;
    peerDependencies?: Record<string, string>;
  };
}

export interface BackendEntry {
  name: string;
  /** absolute path of the module exporting createBackend */
  modulePath: string;
  schemes: string[];
  description?: string;
  /** the npm package that provides it */
  plugin: string;
  pluginVersion?: string;
  /** oclif plugin type: core (shipped with the CLI), user (plugins install), link (plugins link) */
  source: string;
  /** set when the plugin's peer range on @sregistry/core excludes the installed core: it is never loaded */
  mismatch?: CoreMismatch;
}

/** Reads backend declarations from oclif plugins (or any package list) without loading their code. */
export function discoverBackends(plugins: Iterable<PluginLike>): BackendEntry[] {
  const found: BackendEntry[] = [];
  for (const plugin of plugins) {
    const declared = plugin.pjson?.sregistry?.backends;
    if (!declared || typeof declared !== 'object') continue;
    const mismatch = coreMismatch(plugin.pjson?.peerDependencies);
    for (const [name, decl] of Object.entries(declared)) {
      const spec = typeof decl === 'string' ? { module: decl } : decl;
      if (!spec || typeof spec.module !== 'string') continue;
      found.push({
        name: name.toLowerCase(),
        modulePath: path.resolve(plugin.root, spec.module),
        schemes: (spec.schemes ?? []).map((s) => s.toLowerCase()),
        description: spec.description,
        plugin: plugin.name,
        pluginVersion: plugin.version ?? plugin.pjson?.version,
        source: plugin.type ?? 'core',
        ...(mismatch ? { mismatch } : {}),
      });
    }
  }
  // A user-installed or linked plugin overrides one shipped with the CLI (oclif's own precedence), unless it
  // does not fit the installed core and another plugin that fits provides the same backend.
  const rank = (e: BackendEntry) => (e.mismatch ? 3 : 0) + (e.source === 'link' ? 0 : e.source === 'user' ? 1 : 2);
  const byName = new Map<string, BackendEntry>();
  for (const entry of found.sort((a, b) => rank(a) - rank(b))) {
    if (!byName.has(entry.name)) byName.set(entry.name, entry);
  }
  return [...byName.values()].sort((a, b) => compareLikeLocale(a.name, b.name));
}
