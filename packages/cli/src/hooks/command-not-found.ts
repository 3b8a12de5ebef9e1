import { type Hook, toConfiguredId } from '@oclif/core';
import { printable } from '@sregistry/core';
import { installFix, installHint, jsonError, KNOWN_BACKEND_PACKAGES, nearest, pluginsOffering } from '@sregistry/core/command';
import { GLOBAL_FLAGS } from '../global-flags';

// Commands that every plugin whose backend has the capability registers (core's PushCommand, DeleteCommand), so a
// missing one is an install hint naming the plugins that offer it, not "not found".
const PLUGIN_COMMANDS: Record<string, 'push' | 'delete'> = { push: 'push', delete: 'delete' };

type Config = Parameters<Hook.CommandNotFound>[0]['config'];

/**
 * An unknown command gets one line (ERROR <problem>; <fix>, exit 2), or the JSON error envelope under --json:
 * flags with no command say so, words after a command without arguments are unexpected arguments,
 * a missing plugin command names its plugin, a topic's unknown subcommand names the subcommand and lists the
 * topic's commands, anything else suggests the nearest command, on a terminal as anywhere (no prompt).
 */
const hook: Hook.CommandNotFound = async function (options) {
  const { config, id } = options;
  const argv = options.argv ?? [];
  // `sregistry --json` alone has no command: the flag itself is what oclif took for the id
  const json = id === '--json' || argv.slice(0, argv.includes('--') ? argv.indexOf('--') : undefined).includes('--json');
  const shown = (commandId: string) => `${config.bin} ${toConfiguredId(commandId, config)}`;
  // a usage error exits 2; one that needs a plugin installed (exit 1) is ENOBACKEND, as when a backend is missing
  const fail = (problem: string, fix: string, exitCode: number): void => {
    // the words the user typed are echoed back: escaped like any text from outside
    const message = printable(problem, { max: 200 });
    const code = exitCode === 2 ? 'EUSAGE' : 'ENOBACKEND';
    if (json) process.stdout.write(`${JSON.stringify(jsonError(message, { fix, code, exitCode }), null, 2)}\n`);
    else process.stderr.write(`ERROR ${message}; ${fix}\n`);
    this.exit(exitCode);
  };

  // oclif joins every word before the first flag into the id (`pul x` → `pul:x`): the command is the first word,
  // or the first two when the first is a topic (`backend lss`)
  const [first = '', second] = id.split(':');
  // a flag where the command should be: only global flags (`sregistry -q`) is a missing command, not a typo of one
  if (first.startsWith('-')) {
    const given = [first, ...argv.filter((a) => a.startsWith('-'))];
    const unknown = given.find((flag) => !GLOBAL_FLAGS.has(flag));
    const usage = `usage: ${config.bin} <command> [flags] (see: ${config.bin} help)`;
    // `--jsn images` is a typo of --json, as `images --jsn` is answered
    const guess = unknown?.startsWith('--')
      ? nearest(
          unknown.split('=')[0] as string,
          [...GLOBAL_FLAGS].filter((f) => f.startsWith('--')),
        )
      : undefined;
    fail(unknown ? `unknown flag ${unknown} before the command` : 'no command given', guess ? `did you mean ${guess}? ${usage}` : usage, 2);
    return;
  }
  // oclif joins the words after a command that takes no arguments into the id (`backend status extra` →
  // `backend:status:extra`): those words are arguments it does not take, as the command's parser would say
  const extra = extraArguments(config, id);
  if (extra) {
    const args = extra.args.map((a) => printable(a, { max: 80 })).join(' ');
    const usage = `usage: ${config.bin} ${toConfiguredId(extra.command, config)} (see --help)`;
    fail(`unexpected argument${extra.args.length === 1 ? '' : 's'} ${args}`, usage, 2);
    return;
  }
  const capability = PLUGIN_COMMANDS[first];
  if (capability) {
    const offering = pluginsOffering(capability, config.plugins.keys());
    fail(
      `"${first}" comes with the backend plugins that can ${capability}, and none is installed`,
      offering.length > 0 ? installFix(offering) : 'install a backend plugin that can (sregistry plugins install <package>)',
      1,
    );
    return;
  }
  // a first-party plugin's own topic (`oras login`) when that plugin is not installed
  const pkg = Object.hasOwn(KNOWN_BACKEND_PACKAGES, first) ? KNOWN_BACKEND_PACKAGES[first] : undefined;
  if (pkg && !config.plugins.has(pkg) && !config.findTopic(first)) {
    fail(`"${first}" commands come with ${pkg}, which is not installed`, installHint(first), 1);
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
  // one line on a terminal too: a prompt that runs the guess would run a command nobody typed, and its "no"
  // ended in oclif's multi-line "Error: Run sregistry help"
  const guess = nearest(first, [...commands, ...Object.keys(PLUGIN_COMMANDS)]);
  const help = `${config.bin} help`;
  const fix = guess ? `did you mean "${shown(guess)}"? (see: ${help})` : `see: ${help}`;
  fail(`${first} is not a ${config.bin} command`, fix, 2);
};

/**
 * The command that the first words of an id name and the words after it, when that command is not also a topic
 * (`plugins foo` is a topic's unknown subcommand); undefined when no leading words name a command.
 */
function extraArguments(config: Config, id: string): { command: string; args: string[] } | undefined {
  const words = id.split(':');
  for (let n = words.length - 1; n >= 1; n--) {
    const command = config.findCommand(words.slice(0, n).join(':'));
    if (!command || command.hidden) continue;
    // oclif makes every command id a topic too: a real topic is one with commands under it
    if (config.commandIDs.some((c) => c.startsWith(`${command.id}:`))) return undefined;
    return { command: command.id, args: words.slice(n) };
  }
  return undefined;
}

/** Command ids a user may type (hidden commands left out), with or without the aliases. */
function visibleCommandIds(config: Config, { aliases }: { aliases: boolean }): string[] {
  const commands = config.commands.filter((c) => !c.hidden && !c.aliases?.includes(c.id));
  const ids = commands.flatMap((c) => (aliases ? [c.id, ...(c.aliases ?? [])] : [c.id]));
  return [...new Set(ids)].sort();
}

export default hook;
