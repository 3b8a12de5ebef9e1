import { Command, Errors, Flags } from '@oclif/core';
import { coreMismatch, unfitCommandError } from '../backends/compat';
import { discoverBackends, type PluginLike, type RefusedDeclaration } from '../backends/discover';
import { BackendRegistry } from '../backends/registry';
import { errorJson, isUserError } from '../errors';
import { reportFailure, reportIfUnfinished } from '../ops/failure';
import { Interrupt } from '../ops/interrupt';
import { Session } from '../ops/session';
import { consoleToStderr, writeJsonDocument } from '../output/json-stdout';
import { LEVELS, levelFromEnv, warnUnknownLevel } from '../output/levels';
import { Output } from '../output/output';
import { nearest } from '../output/suggest';
import { printable } from '../output/untrusted';

/**
 * Base of every sregistry command: `--json`, `--quiet`, `--debug`, one-line errors, exit codes
 * (0 ok, 1 error, 2 usage), and a Session that opens what the command needs on first use.
 */
export abstract class SregistryCommand extends Command {
  static override enableJsonFlag = true;
  static override baseFlags = {
    // oclif's own --json flag, with its description in the same voice as the others
    json: Flags.boolean({ description: 'format output as json', helpGroup: 'GLOBAL' }),
    quiet: Flags.boolean({ char: 'q', description: 'hide the announce line and progress bars', helpGroup: 'GLOBAL' }),
    debug: Flags.boolean({ description: 'show debug lines (secrets are never shown) and stack traces', helpGroup: 'GLOBAL' }),
  };

  protected session!: Session;
  private readonly interrupt = new Interrupt();

  /** Aborted on Ctrl-C (SIGINT); the handler is installed on first use only (ops/interrupt.ts). */
  protected get signal(): AbortSignal {
    return this.interrupt.signal;
  }

  /** Removes the report of a command that Node ended while it was still waiting (ops/failure.ts). */
  private stopWatching: () => void = () => {};
  /** Gives the console its stdout back (output/json-stdout.ts). */
  private restoreConsole: () => void = () => {};

  override async init(): Promise<void> {
    await super.init();
    this.stopWatching = reportIfUnfinished(this.id ?? 'the command', (error) => {
      const json = this.jsonEnabled();
      process.exitCode = reportFailure(error, this.session, { json, writeJson: (document) => this.logJson(document) });
    });
    const before = this.argv.includes('--') ? this.argv.slice(0, this.argv.indexOf('--')) : this.argv;
    const debug = before.includes('--debug');
    const quiet = before.includes('--quiet') || before.includes('-q');
    if (!debug) warnUnknownLevel(process.env.MESSAGELEVEL);
    const output = new Output({
      level: debug ? LEVELS.DEBUG : levelFromEnv(process.env.MESSAGELEVEL),
      json: this.jsonEnabled(),
      quiet,
    });
    // a plugin's console.log must not land in the --json document
    if (this.jsonEnabled()) this.restoreConsole = consoleToStderr();
    const refused: RefusedDeclaration[] = [];
    const backends = new BackendRegistry(discoverBackends(this.config.plugins.values() as Iterable<PluginLike>, refused), refused);
    this.session = new Session({ output, backends });
    this.refuseUnfitPlugin();
  }

  /** A command of a plugin whose peer range excludes this core does not run (its backend is never loaded). */
  private refuseUnfitPlugin(): void {
    const pluginName = this.id ? this.config.findCommand(this.id)?.pluginName : undefined;
    const plugin = pluginName ? (this.config.plugins.get(pluginName) as PluginLike | undefined) : undefined;
    const mismatch = coreMismatch(plugin?.pjson?.peerDependencies);
    if (!plugin || !mismatch) return;
    throw unfitCommandError(this.id ?? '', plugin, mismatch);
  }

  /** A user-facing failure prints one line (`ERROR <problem>; <fix>`) and exits 1; usage errors exit 2. */
  override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error;
    // oclif's own parse errors carry exit 2; they are shown as one line plus the help hint.
    if (!isUserError(error) && (error.oclif?.exit !== undefined || error instanceof Errors.CLIError)) {
      const exit = error.oclif?.exit ?? 2;
      const line = parseErrorLine(error, { ctor: this.ctor, id: this.id, bin: this.config.bin });
      if (this.jsonEnabled()) {
        // never oclif's own JSON for it: that serialises the parse context, environment (tokens) included
        process.exitCode = exit;
        const { message, fix } = usageFailure(line);
        this.logJson(errorJson(message, { fix, code: 'EUSAGE', exitCode: exit }));
        return;
      }
      this.session?.out.error(`${line} (see --help)`);
      this.exit(exit);
    }
    // the rest as the CLI's fast path shows it too (ops/failure.ts)
    const json = this.jsonEnabled();
    const exit = reportFailure(error, this.session, { json, writeJson: (document) => this.logJson(document) });
    if (json) {
      process.exitCode = exit;
      return;
    }
    this.exit(exit);
  }

  /**
   * Every --json document (results and errors) is redacted and escaped like the rest of the output; oclif's
   * colouring on a terminal is given up for that (the fast path never coloured either).
   */
  override logJson(json: unknown): void {
    writeJsonDocument(json);
  }

  override async finally(error: Error | undefined): Promise<unknown> {
    this.stopWatching();
    this.restoreConsole();
    this.interrupt.release();
    await this.session?.close().catch(() => {});
    const result = await super.finally(error);
    // a cancelled command is over once it said so: work it gave up and cannot stop (a copy into storage) must
    // not keep the process alive until it ends
    if (isUserError(error) && error.code === 'ECANCELLED') process.exit(error.exitCode ?? 130);
    return result;
  }
}

/**
 * The one line for an oclif parse error of a command: missing arguments named with the usage line, unexpected ones
 * too, an unknown flag with the nearest one this command has, else the informative part of oclif's message.
 * For SregistryCommand and for the CLI's wrappers of commands from other oclif plugins (`plugins …`).
 */
export function parseErrorLine(
  error: Error & { args?: unknown[]; flags?: string[] },
  command: { ctor: Pick<typeof Command, 'args' | 'flags'> & { baseFlags?: typeof Command.baseFlags }; id: string | undefined; bin: string },
): string {
  const { ctor } = command;
  const words = Object.entries(ctor.args ?? {}).map(([name, arg]) => (arg.required ? name.toUpperCase() : `[${name.toUpperCase()}]`));
  // the usage a wrong call is told: the arguments, and the flags it cannot go without (`add FILE --name <value>`)
  const required = Object.entries(ctor.flags ?? {})
    .filter(([, flag]) => flag.required)
    .map(([name, flag]) => (flag.type === 'option' ? `--${name} <value>` : `--${name}`));
  const usage = [command.bin, ...(command.id ?? '').split(':'), ...words, ...required].join(' ');
  if (error.constructor.name === 'RequiredArgsError' && error.args?.length) {
    const missing = (error.args as { name: string }[]).map((a) => a.name.toUpperCase());
    return `missing argument${missing.length === 1 ? '' : 's'} ${missing.join(', ')}; usage: ${usage}`;
  }
  if (error.constructor.name === 'UnexpectedArgsError' && error.args?.length) {
    // the same line the CLI gives for words after a command without arguments (hooks/command-not-found.ts)
    const extra = error.args.map((a) => printable(String(a), { max: 80 })).join(' ');
    return `unexpected argument${error.args.length === 1 ? '' : 's'} ${extra}; usage: ${usage}`;
  }
  const missingFlags = /^Missing required flags? (.+)$/.exec(usageLine(error.message))?.[1];
  if (missingFlags) {
    const names = missingFlags.split(/,\s*/).map((n) => `--${n.replace(/^-+/, '')}`);
    return `missing flag${names.length === 1 ? '' : 's'} ${names.join(', ')}; usage: ${usage}`;
  }
  if (error.constructor.name === 'NonExistentFlagsError' && error.flags?.length) {
    // the global flags too: `--jsn` is a typo of --json
    const known = Object.entries({ ...ctor.baseFlags, ...ctor.flags }).flatMap(([name, flag]) =>
      flag.type === 'boolean' && flag.allowNo ? [`--${name}`, `--no-${name}`] : [`--${name}`],
    );
    const typed = error.flags[0] as string;
    const name = typed.split('=')[0] as string;
    // a longer spelling of one of ours (Apptainer's --legacy-insecure for --legacy) is too far for a typo
    const guess = nearest(name, known) ?? known.find((flag) => name.startsWith(`${flag}-`));
    const unknown = `unknown flag${error.flags.length === 1 ? '' : 's'} ${error.flags.join(', ')}`;
    return guess ? `${unknown}; did you mean ${guess}?` : unknown;
  }
  return usageLine(error.message);
}

/**
 * A usage line as the JSON envelope's message and fix: what is wrong, and what to type instead (the usage, a
 * flag meant) or where to look. The text form keeps the whole line with "(see --help)".
 */
export function usageFailure(line: string): { message: string; fix: string } {
  const at = line.indexOf('; ');
  if (at === -1) return { message: line, fix: 'see --help' };
  return { message: line.slice(0, at), fix: `${line.slice(at + 2)} (see --help)` };
}

/** The informative part of an oclif parse message ("The following error occurred:" / "See more help" dropped). */
function usageLine(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^The following errors? occurred:?$/i.test(l) && !/^See more help with/i.test(l));
  const [first, ...rest] = lines;
  if (!first) return message.trim();
  // a flag's own parser said what is wrong ("--group takes a positive integer, got abc"): that, not "Parsing --group"
  const parsing = /^Parsing (--\S+)$/.exec(first);
  if (parsing && rest[0]) return rest[0].startsWith(parsing[1]!) ? rest[0] : `${parsing[1]}: ${rest[0]}`;
  return first.endsWith(':') && rest.length > 0 ? `${first} ${rest.join(', ')}` : first;
}

/** The one JSON shape of a failure under --json, for commands and for what fails before a command runs. */
export const jsonError = errorJson;
