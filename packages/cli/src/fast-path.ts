// `images`, `get` and `inspect` are what scripts call in loops (`$(sregistry get x)`), `pull` and `search` are
// what they call next, and `backend status` is how they check the set-up; loading oclif costs several times what
// such a command does. bin/run.js therefore tries this first: it runs the command on the same core operation the
// oclif command calls, but only for the plain forms (the command, its arguments, --json, --quiet, and the few
// flags listed below) and only when nothing else is needed. `backend status` reads the secrets file only.
// `images`, `get` and `inspect` run only when the catalogue can be read without upkeep (core's
// openCatalogReader, or openPostgresReader for a team catalogue: plain `pg`, no TypeORM), and any failure before
// output began answers false, so oclif runs the command as usual. `pull` and `search` take their backends from
// the plugins oclif would load (src/plugin-list.ts; anything it does not follow goes to oclif), and report a
// failure here with the command base's own formatter (core's reportFailure), since running them again through
// oclif would repeat their requests. Help, usage errors and every other form go to oclif, so they have one source.

import type { PluginLike } from '@sregistry/core/local';

type LocalCore = typeof import('@sregistry/core/local');
type Session = InstanceType<LocalCore['Session']>;

interface Parsed {
  args: string[];
  /** the command's own flags, by the oclif flag name: true for a boolean, the text for a value */
  flags: Record<string, string | true>;
  signal: () => AbortSignal;
}

interface FastCommand {
  /** exact number of arguments, or undefined for any number */
  args?: number;
  /** boolean flags besides the global ones, argv spelling → oclif flag name */
  booleans?: Record<string, string>;
  /** flags that take a value (`--name x`, `--name=x`), argv spelling → oclif flag name */
  values?: Record<string, string>;
  /** talks to a backend: its backends come from the plugins, and its failures are reported here */
  remote?: boolean;
  /** reads the catalogue (the default): taken only when it can be read without upkeep */
  catalogue?: false;
  run(core: LocalCore, session: Session, parsed: Parsed): Promise<unknown>;
}

export const COMMANDS: Record<string, FastCommand> = {
  images: { run: (core, session, { args }) => core.showImages(session, args) },
  get: { args: 1, run: (core, session, { args: [uri] }) => core.getImage(session, uri as string) },
  inspect: { args: 1, run: (core, session, { args: [uri] }) => core.inspectRecord(session, uri as string) },
  pull: {
    args: 1,
    booleans: { '--force': 'force', '-f': 'force', '--no-cache': 'no-cache', '--no-verify': 'no-verify', '--gunzip': 'gunzip' },
    values: { '--name': 'name', '--arch': 'arch' },
    remote: true,
    // the oclif command's call (commands/pull.ts) without --verify and --key, which stay with oclif
    run: (core, session, { args: [uri], flags, signal }) =>
      core.pullImage(session, {
        uri: uri as string,
        name: flags.name as string | undefined,
        noCache: flags['no-cache'] === true,
        force: flags.force === true,
        noVerify: flags['no-verify'] === true,
        gunzip: flags.gunzip === true,
        verify: undefined,
        keyFiles: undefined,
        arch: flags.arch as string | undefined,
        signal: signal(),
        onEvent: core.pullPrinter(session.out),
      }),
  },
  search: { remote: true, run: (core, session, { args }) => core.searchRemote(session, args) },
  'backend status': { args: 0, catalogue: false, run: async (core, session) => core.backendStatus(session) },
};

/** The command argv names, by its key in COMMANDS (`backend status` is two words), and the arguments after it. */
function commandOf(argv: string[]): [string | undefined, string[]] {
  const [first, ...rest] = argv;
  if (first === 'backend' && rest[0] === 'status') return ['backend status', rest.slice(1)];
  // one word names the others: an argument with a space in it ('backend status') is no command
  return [first?.includes(' ') ? undefined : first, rest];
}

/** The global flags taken here; anything else that starts with `-` is oclif's to parse (or reject). */
const FLAGS = new Set(['--json', '--quiet', '-q']);

/**
 * Runs argv's command without oclif when it can; false means oclif must run it. `prepare` is what bin/run.js does
 * before loading oclif (the compile cache, the plugins' range verdicts), called once a remote command is taken.
 */
export async function runFast(argv: string[], prepare: () => void = () => {}): Promise<boolean> {
  const [id, rest] = commandOf(argv);
  const command = Object.hasOwn(COMMANDS, id ?? '') ? COMMANDS[id as string] : undefined;
  if (!command) return false;
  const parsed = parse(command, rest);
  if (!parsed) return false;
  const json = parsed.global.has('--json');
  const quiet = parsed.global.has('--quiet') || parsed.global.has('-q');
  if (command.remote) {
    prepare();
    return runRemote(id as string, command, parsed, json, quiet);
  }

  // a URI names a backend whose catalogue names only its plugin knows (BackendModule.localName): oclif loads them,
  // so this path declines before it loads core
  if (parsed.args.some((arg) => arg.includes('://'))) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const core = require('@sregistry/core/local') as LocalCore;
  let wrote = false;
  const tracked = (stream: NodeJS.WriteStream) => ({
    isTTY: stream.isTTY,
    write(chunk: string) {
      wrote = true;
      return stream.write(chunk);
    },
  });
  core.warnUnknownLevel(process.env.MESSAGELEVEL);
  const output = new core.Output({
    level: core.levelFromEnv(process.env.MESSAGELEVEL),
    json,
    quiet,
    stdout: tracked(process.stdout) as unknown as NodeJS.WriteStream,
    stderr: tracked(process.stderr) as unknown as NodeJS.WriteStream,
  });
  const session = new core.Session({ output });
  const stopWatching = core.reportIfUnfinished(id as string, (error) => {
    process.exitCode = core.reportFailure(error, session, { json, writeJson: (document) => writeJson(core, document) });
  });
  try {
    if (command.catalogue !== false && !(await session.openFastReader())) return false;
    const result = await command.run(core, session, parsed);
    if (json) writeJson(core, result);
    return true;
  } catch (error) {
    // a lock waited for until the timeout is final: oclif would only wait as long again; so is a refused
    // setting, which oclif would only refuse again
    const final = core.isUserError(error) && (error.code === 'EDBLOCKED' || error.code === 'ESETTING');
    if (!wrote && !final) return false;
    // output has begun, so oclif cannot start over: finish the way the command base does, with its formatter
    process.exitCode = core.reportFailure(error as Error, session, { json, writeJson: (document) => writeJson(core, document) });
    return true;
  } finally {
    stopWatching();
    await session.close();
  }
}

/** `pull` and `search`: the command base's work (output, backends, Ctrl-C, failures, exit codes) without oclif. */
async function runRemote(
  id: string,
  command: FastCommand,
  parsed: Parsed & { global: Set<string> },
  json: boolean,
  quiet: boolean,
): Promise<boolean> {
  let plugins: PluginLike[] | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { readPlugins } = require('./plugin-list') as typeof import('./plugin-list');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    plugins = readPlugins(require('node:path').join(__dirname, '..'), require('../package.json'));
  } catch {
    plugins = undefined; // whatever went wrong, oclif finds the plugins itself and says so
  }
  if (!plugins) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const core = require('@sregistry/core/local') as LocalCore;
  core.warnUnknownLevel(process.env.MESSAGELEVEL);
  const output = new core.Output({ level: core.levelFromEnv(process.env.MESSAGELEVEL), json, quiet });
  const refused: Parameters<LocalCore['discoverBackends']>[1] = [];
  const backends = new core.BackendRegistry(core.discoverBackends(plugins as Iterable<PluginLike>, refused), refused);
  const session = new core.Session({ output, backends });
  // as the command base does: a plugin's console.log must not land in the --json document
  const restoreConsole = json ? core.consoleToStderr() : () => {};
  // as the command base's signal: the Ctrl-C handler only for a command that asks for it
  const interrupt = new core.Interrupt();
  parsed.signal = () => interrupt.signal;
  let exit: number | undefined;
  const report = (error: unknown) =>
    core.reportFailure(error as Error, session, { json, writeJson: (document) => writeJson(core, document) });
  // a backend's promise that never settles must not end the command with exit 0 and nothing said
  const stopWatching = core.reportIfUnfinished(id, (error) => {
    process.exitCode = report(error);
  });
  try {
    const result = await command.run(core, session, parsed);
    if (json && result) writeJson(core, result);
  } catch (error) {
    exit = report(error);
    process.exitCode = exit;
  } finally {
    stopWatching();
    restoreConsole();
    interrupt.release();
    await session.close().catch(() => {});
  }
  // as oclif ends a failed command: at once, unless the failure was a JSON document (the command base returns then)
  if (exit !== undefined && !json) process.exit(exit);
  return true;
}

/** argv after the command id as this path takes it, or undefined for anything oclif must parse. */
function parse(command: FastCommand, rest: string[]): (Parsed & { global: Set<string> }) | undefined {
  const args: string[] = [];
  const global = new Set<string>();
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (FLAGS.has(arg)) {
      global.add(arg);
      continue;
    }
    if (!arg.startsWith('-')) {
      args.push(arg);
      continue;
    }
    const [spelling, inline] =
      arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg];
    const boolean = inline === undefined ? command.booleans?.[spelling] : undefined;
    const valued = command.values?.[spelling];
    const name = boolean ?? valued;
    // a flag given twice, an unknown one, `--`: oclif's to accept or refuse
    if (!name || Object.hasOwn(flags, name)) return undefined;
    if (boolean) flags[name] = true;
    else {
      const value = inline ?? rest[++i];
      if (value === undefined || value === '' || (inline === undefined && value.startsWith('-'))) return undefined;
      flags[name] = value;
    }
  }
  if (command.args !== undefined && args.length !== command.args) return undefined;
  return { args, flags, global, signal: () => new AbortController().signal };
}

/** A --json document as the command base's logJson writes it. */
function writeJson(core: LocalCore, document: unknown): void {
  core.writeJsonDocument(document);
}
