// A plugin whose peer range on @sregistry/core excludes the installed core is never loaded, its commands included.
// oclif builds a plugin's command list by requiring every command file when the plugin ships no
// oclif.manifest.json (a linked checkout, usually), and requires a command's file to run it. For such a plugin the
// list is built from the command files' names alone (no file is required), each command summarised as unusable,
// and the init hook (hooks/unfit-plugin.ts) refuses to run one before oclif would load it. Every plugin is checked,
// whatever oclif's type for it (`plugins link` loads the plugin as the root of a config of its own, type "core").
// oclif has no option for this, hence the patch of its Plugin class
// (the version is pinned; packages/cli/test/plugin-compat.test.ts fails if the patch stops working).
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

export function skipUnfitPluginCommands(oclif: { Plugin: { prototype: unknown } }): void {
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
