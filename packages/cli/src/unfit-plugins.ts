// A plugin whose peer range on @sregistry/core excludes the installed core is never loaded, its commands included.
// oclif builds a plugin's command list by requiring every command file when the plugin ships no
// oclif.manifest.json (a linked checkout, usually), and requires a command's file to run it. For such a plugin the
// list is built from the command files' names alone (no file is required), each command summarised as unusable,
// and the init hook (hooks/unfit-plugin.ts) refuses to run one before oclif would load it. Every plugin is checked,
// whatever oclif's type for it (`plugins link` loads the plugin as the root of a config of its own, type "core").
// oclif has no option for this, hence the patch of its Plugin class
// (the version is pinned; packages/cli/test/plugin-compat.test.ts fails if the patch stops working).
// A command id that plugins share (core's `push` and `delete`, which every plugin that can push registers) is
// taken from a plugin that fits whenever one has it: oclif keeps one of two user or linked plugins' copies by load
// order, and an unfit plugin's copy would refuse `push` for every backend. The backend a URI selects is refused
// on its own when it is the unfit plugin's (BackendRegistry).
import { coreMismatch, mismatchLine } from '@sregistry/core';
import { placeholderCommand } from './placeholder-command';

interface OclifPlugin {
  type: string;
  name: string;
  alias: string;
  version: string;
  pjson?: { peerDependencies?: Record<string, unknown> };
  commandIDs: string[];
  getCommandIDs(): Promise<string[]>;
  _manifest(): Promise<unknown>;
}

interface OclifConfig {
  plugins: Map<string, { pjson?: { peerDependencies?: Record<string, unknown> } }>;
  _commands: Map<string, { pluginName?: string }>;
  loadCommands(plugin: { name: string; commands: { id: string }[] }): void;
}

export function skipUnfitPluginCommands(oclif: { Plugin: { prototype: unknown }; Config?: { prototype: unknown } }): void {
  preferFitCommands(oclif.Config?.prototype as OclifConfig | undefined);
  const proto = oclif.Plugin.prototype as OclifPlugin;
  if (typeof proto._manifest !== 'function' || typeof proto.getCommandIDs !== 'function') return;
  const manifest = proto._manifest;
  proto._manifest = async function (this: OclifPlugin) {
    const mismatch = coreMismatch(this.pjson?.peerDependencies);
    if (!mismatch) return manifest.call(this);
    this.commandIDs = await this.getCommandIDs();
    const summary = `unusable: ${mismatchLine(this.name, this.version, mismatch)}`;
    const commands = this.commandIDs.map((id) => [id, placeholderCommand(this, id, summary)]);
    return { version: this.version, commands: Object.fromEntries(commands) };
  };
}

/** A command id two plugins have goes to one that fits the installed core, whatever the order they load in. */
function preferFitCommands(proto: OclifConfig | undefined): void {
  if (!proto || typeof proto.loadCommands !== 'function') return;
  const load = proto.loadCommands;
  proto.loadCommands = function (this: OclifConfig, plugin) {
    const commands = this._commands;
    if (!(commands instanceof Map) || !Array.isArray(plugin.commands)) return load.call(this, plugin);
    const unfit = (name: string | undefined) => {
      const owner = name === undefined ? undefined : this.plugins?.get(name);
      return owner !== undefined && coreMismatch(owner.pjson?.peerDependencies) !== undefined;
    };
    if (unfit(plugin.name)) {
      // an id a plugin that fits has already stays that plugin's
      const kept = plugin.commands.filter((command) => {
        const existing = commands.get(command.id);
        return !existing || unfit(existing.pluginName);
      });
      if (kept.length === plugin.commands.length) return load.call(this, plugin);
      return load.call(this, Object.create(plugin, { commands: { value: kept } }));
    }
    for (const command of plugin.commands) {
      if (unfit(commands.get(command.id)?.pluginName)) commands.delete(command.id);
    }
    return load.call(this, plugin);
  };
}
