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
  /** the plugin's folder, for the fix of a linked plugin that is broken */
  root?: string;
  /** set when the plugin's peer range on @sregistry/core excludes the installed core: it is never loaded */
  mismatch?: CoreMismatch;
  /** plugins of the same standing (both linked, both installed) that declare the same name and are not used */
  shadowed?: { plugin: string; source: string }[];
}

/** A backend declaration that is not taken: the plugin and why, for `backend ls`. */
export interface RefusedDeclaration {
  plugin: string;
  source: string;
  problem: string;
}

// A backend name is what a URI's scheme or SREGISTRY_CLIENT selects. uri/scheme.ts lower-cases a scheme and turns
// `_` into `-`, so a declared name with an upper-case letter or `_` could never be selected by its own spelling
// (`Bad_Name` would be listed as `bad_name` and `bad_name://` would ask for `bad-name`): such a name is refused
// as written, not changed. URL schemes the CLI handles itself never select a plugin.
const BACKEND_NAME = /^[a-z][a-z0-9-]*$/;
const NOT_BACKEND_NAMES = new Set(['http', 'https', 'file']);

/** Why a declared name or scheme cannot be one, or undefined when it can. */
function badName(name: unknown): string | undefined {
  if (typeof name !== 'string') return `a ${typeof name} where a name is needed`;
  const shown = JSON.stringify(name.slice(0, 40));
  if (NOT_BACKEND_NAMES.has(name.toLowerCase())) return `${shown}, which is a URL scheme the CLI handles itself`;
  if (!BACKEND_NAME.test(name)) return `${shown}, which is not a name (a letter, then lower-case letters, digits or -)`;
  return undefined;
}

/** The module path and schemes of one declaration, or why it is refused. */
function readDeclaration(
  name: string,
  decl: unknown,
): { spec: { module: string; schemes: string[]; description?: string } } | { problem: string } {
  const nameProblem = badName(name);
  if (nameProblem) return { problem: `declares the backend ${nameProblem}` };
  const spec = typeof decl === 'string' ? { module: decl } : (decl as { module?: unknown; schemes?: unknown; description?: unknown });
  if (!spec || typeof spec !== 'object' || typeof spec.module !== 'string' || spec.module === '') {
    return { problem: `declares the backend "${name}" without a module (give "./path/to/backend.js" or {"module": …})` };
  }
  const schemes = spec.schemes ?? [];
  if (!Array.isArray(schemes)) return { problem: `declares the schemes of "${name}" as something other than a list` };
  for (const scheme of schemes) {
    const problem = badName(scheme);
    if (problem) return { problem: `declares for "${name}" the scheme ${problem}` };
  }
  const description = typeof spec.description === 'string' ? spec.description : undefined;
  return { spec: { module: spec.module, schemes: schemes as string[], description } };
}

/**
 * Reads backend declarations from oclif plugins (or any package list) without loading their code. A declaration
 * that cannot be used (a name such as `http`, `Bad Name` or `Bad_Name`, a list where names are needed, no module) is not
 * taken, so it can select nothing; it is added to `refused` instead.
 */
export function discoverBackends(plugins: Iterable<PluginLike>, refused: RefusedDeclaration[] = []): BackendEntry[] {
  const found: BackendEntry[] = [];
  for (const plugin of plugins) {
    const declared: unknown = plugin.pjson?.sregistry?.backends;
    if (declared === undefined || declared === null) continue;
    const source = plugin.type ?? 'core';
    if (typeof declared !== 'object' || Array.isArray(declared)) {
      refused.push({
        plugin: plugin.name,
        source,
        problem: 'declares "sregistry.backends" as something other than an object of name → module',
      });
      continue;
    }
    const mismatch = coreMismatch(plugin.pjson?.peerDependencies);
    for (const [name, decl] of Object.entries(declared)) {
      const read = readDeclaration(name, decl);
      if ('problem' in read) {
        refused.push({ plugin: plugin.name, source, problem: read.problem });
        continue;
      }
      found.push({
        name,
        modulePath: path.resolve(plugin.root, read.spec.module),
        schemes: read.spec.schemes,
        description: read.spec.description,
        plugin: plugin.name,
        pluginVersion: plugin.version ?? plugin.pjson?.version,
        source,
        root: plugin.root,
        ...(mismatch ? { mismatch } : {}),
      });
    }
  }
  // A user-installed or linked plugin overrides one shipped with the CLI (oclif's own precedence), unless it
  // does not fit the installed core and another plugin that fits provides the same backend. Of two with the same
  // standing (both linked, both installed) the one whose package name sorts first wins: the order oclif loads them
  // in is the order they were linked or installed, which nobody can see; the other is named by shadowLine.
  const rank = (e: BackendEntry) => (e.mismatch ? 3 : 0) + (e.source === 'link' ? 0 : e.source === 'user' ? 1 : 2);
  const byPlugin = (a: BackendEntry, b: BackendEntry) => (a.plugin < b.plugin ? -1 : a.plugin > b.plugin ? 1 : 0);
  const byName = new Map<string, BackendEntry>();
  for (const entry of found.sort((a, b) => rank(a) - rank(b) || byPlugin(a, b))) {
    const chosen = byName.get(entry.name);
    if (!chosen) byName.set(entry.name, entry);
    else if (rank(chosen) === rank(entry) && chosen.plugin !== entry.plugin) {
      chosen.shadowed = [...(chosen.shadowed ?? []), { plugin: entry.plugin, source: entry.source }];
    }
  }
  return [...byName.values()].sort((a, b) => compareLikeLocale(a.name, b.name));
}

/** The warning for a backend name that two plugins of the same standing declare, or undefined when only one does. */
export function shadowLine(entry: Pick<BackendEntry, 'name' | 'plugin' | 'source' | 'shadowed'>): string | undefined {
  const others = entry.shadowed ?? [];
  if (others.length === 0) return undefined;
  const names = [entry.plugin, ...others.map((o) => o.plugin)];
  const stop = others.map((o) => `sregistry plugins ${o.source === 'link' ? 'unlink' : 'uninstall'} ${o.plugin}`).join(', ');
  return `the plugins ${names.join(' and ')} (${entry.source}) each declare the backend "${entry.name}"; ${entry.plugin} is used (the first by package name), to keep one remove the other: ${stop}`;
}
