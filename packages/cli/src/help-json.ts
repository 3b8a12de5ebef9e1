// `help [command] --json` and `<command> --help --json`: what the help text says, as one document for scripts and
// shell completions (the command, its arguments and flags, examples), instead of the text with --json ignored.
import type { Command, Interfaces } from '@oclif/core';

type Config = Interfaces.Config;

interface FlagDocument {
  name: string;
  char?: string;
  description?: string;
  type: 'boolean' | 'option';
  required: boolean;
  multiple: boolean;
  default?: unknown;
  options?: readonly string[];
}

/**
 * The document for the words after `help` (a command, a topic, or nothing: every command); undefined if unknown.
 * `render` fills the texts' templates (`<%= config.bin %>`) as the text page does: the help class's own.
 */
export function helpDocument(config: Config, words: readonly string[], render: (text: string) => string): unknown {
  const display = (id: string) => id.replaceAll(':', config.topicSeparator ?? ' ');
  const visible = config.commands.filter((c) => !c.hidden).sort((a, b) => a.id.localeCompare(b.id));
  const text = (value: string | undefined) => (value === undefined ? undefined : render(value));
  const listed = (commands: Command.Loadable[]) => commands.map((c) => ({ command: display(c.id), summary: text(summaryOf(c)) }));
  if (words.length === 0) return { bin: config.bin, version: config.version, commands: listed(visible) };
  for (let n = words.length; n > 0; n--) {
    const command = config.findCommand(words.slice(0, n).join(':'));
    if (command && !command.hidden) return commandDocument(config, command, display, text);
  }
  const topic = words.join(':');
  const inTopic = visible.filter((c) => c.id.startsWith(`${topic}:`));
  return inTopic.length > 0 ? { topic: display(topic), commands: listed(inTopic) } : undefined;
}

function commandDocument(
  config: Config,
  command: Command.Loadable,
  display: (id: string) => string,
  text: (value: string | undefined) => string | undefined,
) {
  const args = Object.values(command.args ?? {}).map((a) => ({
    name: a.name,
    description: text(a.description),
    required: a.required ?? false,
  }));
  const flags: FlagDocument[] = Object.values(command.flags ?? {})
    .filter((f) => !f.hidden)
    .map((f) => ({
      name: f.name,
      ...(f.char ? { char: f.char } : {}),
      description: text(f.summary ?? f.description),
      type: f.type,
      required: f.required ?? false,
      multiple: f.type === 'option' ? (f.multiple ?? false) : false,
      // a default computed at run time says nothing here
      ...(f.default !== undefined && typeof f.default !== 'function' ? { default: f.default } : {}),
      ...(f.type === 'option' && f.options ? { options: f.options } : {}),
    }));
  const id = display(command.id);
  const usage = [config.bin, id, ...args.map((a) => (a.required ? a.name.toUpperCase() : `[${a.name.toUpperCase()}]`))].join(' ');
  return {
    command: id,
    summary: text(summaryOf(command)),
    ...(command.description && command.description !== command.summary ? { description: text(command.description) } : {}),
    usage: `${usage}${flags.length > 0 ? ' [flags]' : ''}`,
    aliases: (command.aliases ?? []).map(display),
    args,
    flags,
    // the text page renders examples with the command in the context as well
    examples: examplesOf(command).map((e) => text(e.replaceAll('<%= command.id %>', id)) ?? e),
  };
}

function summaryOf(command: Command.Loadable): string | undefined {
  return command.summary ?? command.description?.split('\n')[0];
}

function examplesOf(command: Command.Loadable): string[] {
  const examples = command.examples ?? [];
  return (Array.isArray(examples) ? examples : [examples]).map((e) => (typeof e === 'string' ? e : e.command));
}
