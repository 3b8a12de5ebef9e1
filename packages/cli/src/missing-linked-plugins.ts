// A linked plugin whose folder was moved or deleted: oclif cannot read its package.json and prints a 7-line Node
// warning on every command, without the plugin's name, and `sregistry plugins` no longer lists it, so the user
// cannot see what to unlink. Here that warning is one line naming the plugin and the command that removes the
// link. oclif has no option for this, hence the patch of its Config class (the version is pinned;
// packages/cli/test/broken-plugins.test.ts fails if the patch stops working).
import fs from 'node:fs';
import path from 'node:path';

interface OclifConfig {
  dataDir: string;
  bin: string;
  warn(error: unknown, scope?: string): void;
}

export function reportMissingLinkedPlugins(oclif: { Config: { prototype: unknown } }, args: string[] = []): void {
  const proto = oclif.Config.prototype as OclifConfig;
  if (typeof proto.warn !== 'function') return;
  const warn = proto.warn;
  const removing = pluginsBeingRemoved(args);
  proto.warn = function (this: OclifConfig, error: unknown, scope?: string) {
    const missing = missingLink(this, error);
    if (!missing) return warn.call(this, error, scope);
    // the command is the one the warning would tell the user to run
    if (removing.has(missing.name) || removing.has(path.resolve(missing.root))) return;
    process.stderr.write(
      `WARNING the linked plugin ${missing.name} (${missing.root}) no longer exists; run: ${this.bin} plugins unlink ${missing.name}\n`,
    );
  };
}

/**
 * The plugins that `plugins unlink|uninstall|remove …` removes, by name and by folder (plugin-plugins takes
 * either); none for any other command.
 */
function pluginsBeingRemoved(args: string[]): Set<string> {
  const words = args.slice(0, args.includes('--') ? args.indexOf('--') : undefined).filter((w) => !w.startsWith('-'));
  const [first, second] = words;
  const command = first === 'plugins' ? second : first?.startsWith('plugins:') ? first.slice('plugins:'.length) : undefined;
  if (command !== 'unlink' && command !== 'uninstall' && command !== 'remove') return new Set();
  const names = words.slice(first === 'plugins' ? 2 : 1);
  return new Set([...names, ...names.map((name) => path.resolve(name))]);
}

/** The link entry whose folder's package.json the error says is missing, if it is one. */
function missingLink(config: OclifConfig, error: unknown): { name: string; root: string } | undefined {
  const { code, path: file } = (error ?? {}) as { code?: unknown; path?: unknown };
  if ((code !== 'ENOENT' && code !== 'ENOTDIR') || typeof file !== 'string' || path.basename(file) !== 'package.json') return undefined;
  let entries: unknown;
  try {
    entries = (JSON.parse(fs.readFileSync(path.join(config.dataDir, 'package.json'), 'utf8')) as { oclif?: { plugins?: unknown } }).oclif
      ?.plugins;
  } catch {
    return undefined;
  }
  if (!Array.isArray(entries)) return undefined;
  for (const entry of entries as { type?: unknown; name?: unknown; root?: unknown }[]) {
    if (entry?.type !== 'link' || typeof entry.name !== 'string' || typeof entry.root !== 'string') continue;
    if (path.resolve(entry.root, 'package.json') === path.resolve(file)) return { name: entry.name, root: entry.root };
  }
  return undefined;
}
