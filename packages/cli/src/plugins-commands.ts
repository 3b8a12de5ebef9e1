// The `plugins` commands come from @oclif/plugin-plugins, whose classes take none of sregistry's global flags and
// print oclif's own errors (a usage block, `{"error": {"name": …}}` under --json). The CLI registers each of them
// under the same id as a subclass that adds the global flags and fails like every other command: one line, or the
// documented JSON envelope with the exit code the process ends with. oclif runs the root's command for an id that a
// core plugin also has (packages/cli/test/plugins-commands.test.ts fails if that stops being so).
import { stripVTControlCharacters } from 'node:util';
import { type Command, Errors, type Interfaces, ux } from '@oclif/core';
import { type ErrorCode, errorJson, isUserError, jsonText, printable, UserError } from '@sregistry/core';
import { parseErrorLine, SregistryCommand, usageFailure } from '@sregistry/core/command';
import { dropStaleBackups } from './install-backups';
import { invokedId } from './plugins-invocation';

type FlagOutput = { [name: string]: unknown };
type ArgOutput = { [name: string]: unknown };
type Input<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput> = Interfaces.Input<F, B, A>;
type ParserOutput<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput> = Interfaces.ParserOutput<F, B, A>;

type PluginsCommandId =
  | 'plugins'
  | 'plugins:inspect'
  | 'plugins:install'
  | 'plugins:link'
  | 'plugins:reset'
  | 'plugins:uninstall'
  | 'plugins:update';

/** A plugin-plugins command class, as oclif sees it (its run() is concrete). */
export interface PluginsCommandClass {
  new (...args: ConstructorParameters<typeof Command>): Command & { run(): Promise<unknown> };
  baseFlags: typeof Command.baseFlags;
  enableJsonFlag: boolean;
}

// plugin-plugins is an ES module; Node (>=20.19, the CLI's engines) requires it synchronously
const { commands } = require('@oclif/plugin-plugins') as { commands: Record<PluginsCommandId, PluginsCommandClass> };

/** The plugin-plugins command of `id`, taking the global flags and failing in sregistry's way. */
export function pluginsCommand(id: PluginsCommandId): PluginsCommandClass {
  const Base = commands[id];
  return class extends Base {
    static override baseFlags = { ...Base.baseFlags, ...SregistryCommand.baseFlags };
    static override enableJsonFlag = true;

    // plugin-plugins parses with its own class (`this.parse(PluginsInstall)`), which has none of the flags above
    protected override async parse<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput>(
      options?: Input<F, B, A>,
      argv?: string[],
    ): Promise<ParserOutput<F, B, A>> {
      // read one by one: a class's inherited statics (a subclass of these, like commands/plugins/index.ts) are not
      // copied by a spread, and its flags would be unknown
      const source = (options ?? this.ctor) as Input<F, B, A>;
      const input = {
        flags: source.flags,
        args: source.args,
        strict: source.strict,
        '--': source['--'],
        context: source.context,
        baseFlags: { ...Base.baseFlags, ...SregistryCommand.baseFlags },
        enableJsonFlag: true,
      };
      return super.parse(input as Input<F, B, A>, argv);
    }

    // under --json every command prints one document; link, unlink, uninstall and the like return nothing
    override async run(): Promise<unknown> {
      // npm's own lines (warnings, "added 1 package") are printed on stdout by plugin-plugins unless its npm log
      // level is silent: under --json they would come before the one document (npm warns, for one, of every
      // npm_config_* variable it does not know, as package managers' script runners set them)
      if (this.jsonEnabled()) process.env.SREGISTRY_NPM_LOG_LEVEL ??= 'silent';
      if (this.id === 'plugins:install' || this.id === 'plugins:update') checkNpmRegistry(process.env.SREGISTRY_NPM_REGISTRY);
      dropStaleBackups(this.config.dataDir);
      const result = await super.run();
      if (result !== undefined || !this.jsonEnabled()) return result;
      // as typed: `plugins unlink` is not reported as `plugins uninstall`
      return { command: invokedId(this.id, this.ctor.aliases)?.replaceAll(':', ' '), done: true };
    }

    // --quiet and --debug are accepted and change nothing here: these commands have no announce line, progress bar
    // or request to show
    override async catch(error: Error & { oclif?: { exit?: number } }): Promise<unknown> {
      if (error instanceof Errors.ExitError) throw error;
      // a progress line still running holds back everything written meanwhile (oclif's action buffers stdout and
      // stderr), and the process would end with the error unprinted
      if (ux.action.running) ux.action.stop('failed');
      const failure = describe(error, { ctor: this.ctor, id: invokedId(this.id, this.ctor.aliases), bin: this.config.bin });
      if (this.jsonEnabled()) {
        process.exitCode = failure.exitCode;
        const parts = failure.code === 'EUSAGE' ? usageFailure(failure.message) : failure;
        this.logJson(errorJson(parts.message, { fix: parts.fix, code: failure.code, exitCode: failure.exitCode }));
        return;
      }
      // a usage error reads as every command's: `ERROR unknown flag --x (see --help)`
      const fix = failure.code === 'EUSAGE' ? ` (${failure.fix})` : `; ${failure.fix}`;
      process.stderr.write(`ERROR ${failure.message}${fix}\n`);
      this.exit(failure.exitCode);
    }

    // `plugins inspect` prints a bare red "failed" before it throws: the error line after it says what failed
    override log(message?: string, ...args: unknown[]): void {
      if (typeof message === 'string' && stripVTControlCharacters(message) === 'failed') return;
      super.log(message, ...args);
    }

    override logJson(json: unknown): void {
      ux.stdout(jsonText(json));
    }
  };
}

interface Failure {
  message: string;
  fix: string;
  code: ErrorCode;
  exitCode: number;
}

/**
 * SREGISTRY_NPM_REGISTRY goes to npm as --registry: a value that is no http(s) URL would come back as "<package>
 * does not exist in the npm registry <value>", blaming the package. A value with an @ may hold a password: not shown.
 */
function checkNpmRegistry(raw: string | undefined): void {
  if (!raw) return;
  try {
    if (['http:', 'https:'].includes(new URL(raw).protocol)) return;
  } catch {
    // not a URL at all
  }
  const shown = raw.includes('@') ? '(not shown: it has an @)' : `"${printable(raw.trim(), { max: 60 })}"`;
  throw new UserError(`SREGISTRY_NPM_REGISTRY is ${shown}, not an http(s) URL`, {
    fix: "set it to the npm registry's address, such as https://registry.npmjs.org/, or unset it",
    code: 'ESETTING',
  });
}

/** A parse error is a usage error (exit 2); anything else plugin-plugins throws is its one-line failure (exit 1). */
function describe(error: Error & { suggestions?: string[] }, command: Parameters<typeof parseErrorLine>[1]): Failure {
  if (isUserError(error)) {
    return { message: error.message, fix: error.fix ?? 'see --help', code: error.code ?? 'EUSER', exitCode: error.exitCode ?? 1 };
  }
  if (error instanceof Errors.CLIError && 'parse' in error) {
    return { message: parseErrorLine(error, command), fix: 'see --help', code: 'EUSAGE', exitCode: 2 };
  }
  // npm's and oclif's messages run over several lines; the first says what failed
  const first = error.message.split('\n').find((line) => line.trim()) ?? 'the plugins command failed';
  return {
    // "… does not exist in the registry." loses its full stop before the fix, as core's errorLine does
    message: printable(first.trim().replace(/(?<!\.)\.$/, ''), { max: 300 }),
    fix: printable(error.suggestions?.[0] ?? `see: ${command.bin} ${command.id?.replaceAll(':', ' ') ?? 'plugins'} --help`, { max: 200 }),
    code: 'EUSER',
    exitCode: 1,
  };
}
