// What to tell the user about a plugin that is broken or made for another core. A linked plugin (`plugins link`)
// wins over an installed one, so "install it again" changes nothing for it: its fix is its folder, or unlinking.

export interface PluginOrigin {
  name: string;
  /** oclif's plugin type: core (shipped with the CLI), user (plugins install), link (plugins link) */
  source?: string;
  root?: string;
}

/** The fix for a plugin whose code cannot be loaded or fails when it starts. */
export function brokenPluginFix(plugin: PluginOrigin): string {
  if (plugin.source === 'link') return linkedFix(plugin);
  if (plugin.source === 'user')
    return `reinstall it: sregistry plugins install ${plugin.name}, or remove it: sregistry plugins uninstall ${plugin.name}`;
  return `report it to the plugin's author, or reinstall it: sregistry plugins install ${plugin.name}`;
}

/** The fix for a plugin whose peer range on @sregistry/core excludes the installed core. */
export function unfitPluginFix(plugin: PluginOrigin): string {
  if (plugin.source === 'link') {
    const folder = plugin.root ? `the folder ${plugin.root}` : 'its folder';
    return `make ${folder} fit this core, or run: sregistry plugins unlink ${plugin.name}`;
  }
  return `install a version of ${plugin.name} made for this core (sregistry plugins install ${plugin.name}), or update sregistry`;
}

/** How to stop using a plugin: unlink a linked one, uninstall an installed one. */
export function removalCommand(plugin: PluginOrigin): string {
  return `sregistry plugins ${plugin.source === 'link' ? 'unlink' : 'uninstall'} ${plugin.name}`;
}

function linkedFix(plugin: PluginOrigin): string {
  return plugin.root
    ? `fix the folder ${plugin.root} or run: sregistry plugins unlink ${plugin.name}`
    : `fix its folder or run: sregistry plugins unlink ${plugin.name}`;
}

/**
 * What a plugin's own error says, in one line: its first line (Node's "Require stack" lines and a stack trace
 * are left out), with the class when it says more than Error (`TypeError: …`).
 */
export function pluginErrorText(error: unknown): string {
  const err = error as { name?: unknown; message?: unknown } | undefined;
  const message =
    String(err?.message ?? error)
      .split('\n')[0]
      ?.trim() ?? '';
  const name = typeof err?.name === 'string' && err.name !== 'Error' ? `${err.name}: ` : '';
  return `${name}${message}`;
}
