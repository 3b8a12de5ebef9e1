// The plugins oclif would load for this CLI, read from the same package.json files without loading oclif, for the
// fast path's `pull` and `search` (src/fast-path.ts), whose backends come from plugins. It follows oclif 4's
// PluginLoader for the layouts sregistry makes: the root, the root's `oclif.plugins` (core), and the data folder's
// package.json (`sregistry plugins install` adds type "user", `plugins link` type "link"), users' first, then
// links, then core, the first of a name kept. Anything it does not follow answers undefined, and oclif runs the
// command: a plugin that has plugins of its own, a hook that oclif would run around a command, jit or dev plugins,
// a name given twice, a package.json that cannot be read (oclif warns about it), a glob among the plugin names.
// packages/cli/test/fast-path-remote.test.ts holds the list equal to oclif's for a linked and an installed plugin.
import fs from 'node:fs';
import path from 'node:path';
import type { PluginLike } from '@sregistry/core/local';

type Pjson = NonNullable<PluginLike['pjson']> & {
  dependencies?: Record<string, string>;
  oclif?: {
    dirname?: string;
    bin?: string;
    plugins?: unknown[];
    devPlugins?: unknown[];
    jitPlugins?: unknown;
    hooks?: Record<string, unknown>;
  };
};

/** Hooks oclif runs around every command; a plugin with one of these is left to oclif. */
const COMMAND_HOOKS = new Set(['init', 'prerun', 'postrun', 'finally', 'preparse', 'command_incomplete']);
/** The root's own hooks, which concern no root command: the init hook refuses commands of unfit plugins only. */
const ROOT_HOOKS = new Set(['init', 'command_not_found']);

/** The plugins oclif would load, in its precedence, or undefined when oclif must find them itself. */
export function readPlugins(root: string, rootPjson: Pjson, env: NodeJS.ProcessEnv = process.env): PluginLike[] | undefined {
  const oclif = rootPjson.oclif ?? {};
  if (oclif.jitPlugins || oclif.devPlugins) return undefined;
  if (Object.keys(oclif.hooks ?? {}).some((hook) => !ROOT_HOOKS.has(hook))) return undefined;
  const plugins = new Map<string, PluginLike>();
  if (!rootPjson.name) return undefined;
  plugins.set(rootPjson.name, { name: rootPjson.name, version: rootPjson.version, root, type: 'core', pjson: rootPjson });

  const user = userPlugins(dataDir(rootPjson, env));
  if (!user) return undefined;
  const core = coreNames(rootPjson);
  if (!core) return undefined;
  const groups: { type: string; entries: { name: string; root?: string }[]; from: string }[] = [
    { type: 'user', entries: user.entries.filter((e) => e.type === 'user'), from: user.file },
    { type: 'link', entries: user.entries.filter((e) => e.type === 'link'), from: user.file },
    { type: 'core', entries: core.map((name) => ({ name })), from: root },
  ];
  for (const group of groups) {
    const seen = new Set<string>();
    for (const entry of group.entries) {
      // oclif loads a group's plugins at once: two of a name race for the slot
      if (seen.has(entry.name)) return undefined;
      seen.add(entry.name);
      if (plugins.has(entry.name)) continue;
      const pluginRoot = group.type === 'link' ? entry.root : findRoot(entry.name, group.from);
      const pjson = pluginRoot ? readJson(path.join(pluginRoot, 'package.json')) : undefined;
      if (!pluginRoot || !pjson || pjson.name !== entry.name) return undefined;
      if (pjson.oclif?.plugins?.length) return undefined;
      if (Object.keys(pjson.oclif?.hooks ?? {}).some((hook) => COMMAND_HOOKS.has(hook))) return undefined;
      plugins.set(entry.name, { name: entry.name, version: pjson.version, root: pluginRoot, type: group.type, pjson });
    }
  }
  return [...plugins.values()];
}

/** oclif's data folder: $SREGISTRY_DATA_DIR, else $XDG_DATA_HOME/sregistry, else ~/.local/share/sregistry. */
function dataDir(rootPjson: Pjson, env: NodeJS.ProcessEnv): string {
  const bin = rootPjson.oclif?.bin ?? rootPjson.name ?? '';
  const scoped = env[`${bin.replaceAll('@', '').replaceAll(/[/-]/g, '_')}_DATA_DIR`.toUpperCase()];
  if (scoped) return scoped;
  const home = env.HOME || require('node:os').homedir();
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), rootPjson.oclif?.dirname || rootPjson.name || '');
}

/** The data folder's plugin entries; none when it has no package.json yet, undefined when it cannot be read. */
function userPlugins(dir: string): { file: string; entries: { name: string; type: string; root?: string }[] } | undefined {
  const file = path.join(dir, 'package.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? { file, entries: [] } : undefined;
  }
  let pjson: Pjson;
  try {
    pjson = JSON.parse(text) as Pjson;
  } catch {
    return undefined;
  }
  const listed = pjson.oclif?.plugins ?? [];
  if (!Array.isArray(listed)) return undefined;
  const entries: { name: string; type: string; root?: string }[] = [];
  for (const entry of listed) {
    if (!entry || typeof entry !== 'object') return undefined;
    const { name, type, root } = entry as { name?: unknown; type?: unknown; root?: unknown };
    if (type !== 'user' && type !== 'link') continue; // oclif reads no other type from this file
    if (typeof name !== 'string' || (type === 'link' && typeof root !== 'string')) return undefined;
    entries.push({ name, type, root: root as string | undefined });
  }
  return { file, entries };
}

/** The root's `oclif.plugins` that are among its dependencies (oclif's rule), or undefined for a pattern. */
function coreNames(rootPjson: Pjson): string[] | undefined {
  const patterns = rootPjson.oclif?.plugins ?? [];
  if (patterns.some((p) => typeof p !== 'string' || /[*?[\]{}!]/.test(p))) return undefined;
  return Object.keys(rootPjson.dependencies ?? {}).filter((name) => (patterns as string[]).includes(name));
}

/**
 * Where oclif's findRoot finds a plugin: the package folder that `require.resolve` reaches from `from` (its real
 * path), found here by the same node_modules walk without the resolver (whose first call costs ~4 ms of CPU); a
 * package outside that walk (NODE_PATH, a self-reference) is left to `require.resolve` and oclif's search up from
 * the file it gives.
 */
function findRoot(name: string, from: string): string | undefined {
  for (const dir of upFrom(from)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (readJson(path.join(candidate, 'package.json'))?.name === name) return fs.realpathSync(candidate);
  }
  try {
    const entry = require.resolve(name, { paths: [from] });
    for (const dir of upFrom(path.dirname(entry))) if (dir.endsWith(path.basename(name))) return dir;
  } catch {
    // not resolvable either: oclif would not find it
  }
  return undefined;
}

function* upFrom(start: string): Generator<string> {
  let dir = start;
  while (path.dirname(dir) !== dir) {
    yield dir;
    dir = path.dirname(dir);
  }
  yield dir;
}

function readJson(file: string): Pjson | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Pjson;
  } catch {
    return undefined;
  }
}
