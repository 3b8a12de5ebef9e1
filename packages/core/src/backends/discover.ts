import path from 'node:path';

/** How a plugin's package.json declares its backends: `"sregistry": {"backends": {"<name>": "./dist/backend.js"}}`
 *  or, to add URI schemes, `{"<name>": {"module": "./dist/backend.js", "schemes": ["shub"]}}`. */
export type BackendDeclaration = string | { module: string; schemes?: string[]; description?: string };

export interface PluginLike {
  name: string;
  version?: string;
  root: string;
  type?: string;
  pjson?: { sregistry?: { backends?: Record<string, BackendDeclaration> }; version?: string; name?: string };
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
}

/** Reads backend declarations from oclif plugins (or any package list) without loading their code. */
export function discoverBackends(plugins: Iterable<PluginLike>): BackendEntry[] {
  const found: BackendEntry[] = [];
  for (const plugin of plugins) {
    const declared = plugin.pjson?.sregistry?.backends;
    if (!declared || typeof declared !== 'object') continue;
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
      });
    }
  }
  // A user-installed or linked plugin overrides one shipped with the CLI (oclif's own precedence).
  const rank = (s: string) => (s === 'link' ? 0 : s === 'user' ? 1 : 2);
  const byName = new Map<string, BackendEntry>();
  for (const entry of found.sort((a, b) => rank(a.source) - rank(b.source))) {
    if (!byName.has(entry.name)) byName.set(entry.name, entry);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
