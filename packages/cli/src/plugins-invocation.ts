// The id a plugins command was invoked by: oclif gives a command run by an alias (`plugins unlink`, an alias of
// `plugins uninstall`) the id of the command it aliases, and only the init hook sees what was typed. Kept apart from
// plugins-commands.ts, which loads @oclif/plugin-plugins, so the hook (run before every command) does not.
let invoked: string | undefined;

export function rememberPluginsInvocation(id: string | undefined): void {
  if (id?.startsWith('plugins:')) invoked = id;
}

/** The id as typed when it is one of `aliases`, else `id`. */
export function invokedId(id: string | undefined, aliases: readonly string[] | undefined): string | undefined {
  return invoked !== undefined && aliases?.includes(invoked) ? invoked : id;
}
