import { type Hook, toConfiguredId } from '@oclif/core';
import { printable } from '@sregistry/core';
import { jsonError, KNOWN_BACKEND_PACKAGES, nearest, pluginsOffering } from '@sregistry/core/command';

// Commands that every plugin whose backend has the capability registers (core's PushCommand, DeleteCommand), so a
// missing one is an install hint naming the plugins that offer it, not "not found".
const PLUGIN_COMMANDS: Record<string, 'push' | 'delete'> = { push: 'push', delete: 'delete' };

type Context = Hook.Context;
type Config = Parameters<Hook.CommandNotFound>[0]['config'];

/**
 * An unknown command gets one line (ERROR <problem>; <fix>, exit 2), or the JSON error envelope under --json:
 * a missing plugin command names its plugin, a topic's unknown subcommand names the subcommand and lists the
 * topic's commands, anything else suggests the nearest command. On an interactive terminal a plain typo goes to
 * @oclif/plugin-not-found, which asks "Did you mean …?" and runs the answer.
 */
const hook: Hook.CommandNotFound = async function (options) {
  const { config, id } = options;
  const argv = options.argv ?? [];
  const json = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : undefined).includes('--json');
  const shown = (commandId: string) => `${config.bin} ${toConfiguredId(commandId, config)}`;
  const fail = (problem: string, fix: string, exitCode: number): void => {
    // the words the user typed are echoed back: escaped like any text from outside
    const message = printable(problem, { max: 200 });
    if (json) process.stdout.write(`${JSON.stringify(jsonError(message, { fix, code: 'EUSAGE', exitCode }), null, 2)}\n`);
    else process.stderr.write(`ERROR ${message}; ${fix}\n`);
    this.exit(exitCode);
  };

  // oclif joins every word before the first flag into the id (`pul x` → `pul:x`): the command is the first word,
  // or the first two when the first is a topic (`backend lss`)
  const [first = '', second] = id.split(':');
  const capability = PLUGIN_COMMANDS[first];
  if (capability) {
    const offering = pluginsOffering(capability, config.plugins.keys());
    const listed = offering.map((b) => `${b.package} (for ${b.name}://)`);
    const choices = listed.length > 1 ? `${listed.slice(0, -1).join(', ')} or ${listed.at(-1)}` : (listed[0] ?? '');
    fail(
      `"${first}" comes with the backend plugins that can ${capability}, and none is installed`,
      choices ? `run: sregistry plugins install ${choices}` : 'install a backend plugin that can (sregistry plugins install <package>)',
      1,
    );
    return;
  }
  // a first-party plugin's own topic (`oras login`) when that plugin is not installed
  const pkg = Object.hasOwn(KNOWN_BACKEND_PACKAGES, first) ? KNOWN_BACKEND_PACKAGES[first] : undefined;
  if (pkg && !config.plugins.has(pkg) && !config.findTopic(first)) {
    fail(`"${first}" commands come with ${pkg}, which is not installed`, `run: sregistry plugins install ${pkg}`, 1);
    return;
  }
  const commands = visibleCommandIds(config, { aliases: true });
  if (second !== undefined && config.findTopic(first)) {
    const inTopic = (ids: string[]) => ids.filter((c) => c.startsWith(`${first}:`));
    const guess = nearest(`${first}:${second}`, inTopic(commands));
    const list = inTopic(visibleCommandIds(config, { aliases: false }))
      .map((c) => c.slice(first.length + 1).replaceAll(':', ' '))
      .join(', ');
    const hint = guess ? `did you mean "${shown(guess)}"? ` : '';
    fail(`${first} has no command "${second}"`, `${hint}${first} commands: ${list} (see: ${config.bin} help ${first})`, 2);
    return;
  }
  const guess = nearest(first, [...commands, ...Object.keys(PLUGIN_COMMANDS)]);
  // help asked for a typo (`help imgaes`) gets the line, not the prompt that would run the guessed command
  const forHelp = argv.includes('--help');
  if (guess && !json && !forHelp && process.stdin.isTTY && process.stderr.isTTY) {
    // plugin-not-found's prompt; its "run help" error keeps our usage exit code
    const { default: prompt } = (await import('@oclif/plugin-not-found')) as { default: Hook.CommandNotFound };
    const context: Context = { ...this, error: (message: string | Error) => this.error(message, { exit: 2 }) };
    return prompt.call(context, options);
  }
  const help = `${config.bin} help`;
  const fix = guess ? `did you mean "${shown(guess)}"? (see: ${help})` : `see: ${help}`;
  fail(`${first} is not a ${config.bin} command`, fix, 2);
};

/** Command ids a user may type (hidden commands left out), with or without the aliases. */
function visibleCommandIds(config: Config, { aliases }: { aliases: boolean }): string[] {
  const commands = config.commands.filter((c) => !c.hidden && !c.aliases?.includes(c.id));
  const ids = commands.flatMap((c) => (aliases ? [c.id, ...(c.aliases ?? [])] : [c.id]));
  return [...new Set(ids)].sort();
}

export default hook;
