// The manifest entry of a plugin command that is listed but never loaded (its plugin is made for another core, or
// its file throws): oclif shows the summary in help, and the init hook refuses running it in one line. For the two
// oclif patches, unfit-plugins.ts and broken-plugin-commands.ts.

/**
 * strict: false, so `oras login host` is still this command to oclif (a command without arguments would make
 * `host` part of the id, "no command login") and the init hook refuses it like `oras login`.
 */
export function placeholderCommand(plugin: { name: string; alias: string; type: string }, id: string, summary: string) {
  return {
    id,
    summary,
    pluginName: plugin.name,
    pluginAlias: plugin.alias,
    pluginType: plugin.type,
    aliases: [],
    flags: {},
    args: {},
    strict: false,
  };
}
