// A plugin command whose file throws when it is required. With no oclif.manifest.json (a linked checkout, the docs'
// own example) oclif requires every command file to list the commands, and for a file that throws it prints an
// 8-line Node warning on every run of every command and leaves the command out, so running it says "not installed".
// Here the failure is kept quiet and the command stays listed; the init hook (hooks/unfit-plugin.ts) loads a
// plugin command before oclif runs it, and a file that throws is the one-line EPLUGIN refusal naming the plugin.
// oclif has no option for this, hence the patch of its Plugin class (the version is pinned;
// packages/cli/test/broken-plugins.test.ts fails if the patch stops working).

import { placeholderCommand } from './placeholder-command';

interface OclifPlugin {
  type: string;
  name: string;
  alias: string;
  version: string;
  commandIDs: string[];
  _manifest(): Promise<{ version: string; commands: Record<string, unknown> }>;
  warn(error: unknown, scope?: string): void;
  brokenCommands?: Set<string>;
}

const FIND_COMMAND_SCOPE = /^findCommand \((.+)\)$/;

export function keepBrokenPluginCommands(oclif: { Plugin: { prototype: unknown } }): void {
  const proto = oclif.Plugin.prototype as OclifPlugin;
  if (typeof proto._manifest !== 'function' || typeof proto.warn !== 'function') return;
  const warn = proto.warn;
  proto.warn = function (this: OclifPlugin, error: unknown, scope?: string) {
    const id = scope?.match(FIND_COMMAND_SCOPE)?.[1];
    if (id === undefined || this.type === 'core') return warn.call(this, error, scope);
    this.brokenCommands ??= new Set();
    this.brokenCommands.add(id);
  };
  const manifest = proto._manifest;
  proto._manifest = async function (this: OclifPlugin) {
    const built = await manifest.call(this);
    for (const id of this.brokenCommands ?? []) {
      // listed with nothing that needs its file; loading it again (the init hook) gives the file's own error
      built.commands[id] ??= placeholderCommand(this, id, `cannot be loaded (a broken command of ${this.name})`);
    }
    return built;
  };
}
