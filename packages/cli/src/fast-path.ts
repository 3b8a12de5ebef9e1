// `images`, `get` and `inspect` are what scripts call in loops (`$(sregistry get x)`), and loading oclif costs
// several times what such a command does. bin/run.js therefore tries this first: it runs the command on the
// same core operation the oclif command calls, but only for the plain forms (the command, its arguments,
// --json, --quiet) and only when the catalogue can be read without upkeep (core's openCatalogReader, or
// openPostgresReader for a team catalogue: plain `pg`, no TypeORM). Anything
// else, and any failure before output began, answers false and oclif runs the command as usual, so help,
// usage errors, error messages and exit codes have one source.

type LocalCore = typeof import('@sregistry/core/local');
type Session = InstanceType<LocalCore['Session']>;

interface FastCommand {
  /** exact number of arguments, or undefined for any number */
  args?: number;
  run(core: LocalCore, session: Session, args: string[]): Promise<unknown>;
}

const COMMANDS: Record<string, FastCommand> = {
  images: { run: (core, session, args) => core.showImages(session, args) },
  get: { args: 1, run: (core, session, [uri]) => core.getImage(session, uri) },
  inspect: { args: 1, run: (core, session, [uri]) => core.inspectRecord(session, uri) },
};

/** The only flags taken here; anything else that starts with `-` is oclif's to parse (or reject). */
const FLAGS = new Set(['--json', '--quiet', '-q']);

/** Runs argv's command without oclif when it can; false means oclif must run it. */
export async function runFast(argv: string[]): Promise<boolean> {
  const [id, ...rest] = argv;
  const command = Object.hasOwn(COMMANDS, id ?? '') ? COMMANDS[id as string] : undefined;
  if (!command) return false;
  const args: string[] = [];
  const flags = new Set<string>();
  for (const arg of rest) {
    if (FLAGS.has(arg)) flags.add(arg);
    else if (arg.startsWith('-')) return false;
    else args.push(arg);
  }
  if (command.args !== undefined && args.length !== command.args) return false;
  const json = flags.has('--json');

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
  const output = new core.Output({
    level: core.levelFromEnv(process.env.MESSAGELEVEL),
    json,
    quiet: flags.has('--quiet') || flags.has('-q'),
    stdout: tracked(process.stdout) as unknown as NodeJS.WriteStream,
    stderr: tracked(process.stderr) as unknown as NodeJS.WriteStream,
  });
  const session = new core.Session({ output });
  try {
    if (!(await session.openFastReader())) return false;
    const result = await command.run(core, session, args);
    if (json) process.stdout.write(`${core.jsonText(result)}\n`);
    return true;
  } catch (error) {
    if (!wrote) return false;
    // output has begun, so oclif cannot start over: finish the way the command base does, with its formatter
    const user = core.isUserError(error) ? error : undefined;
    if (json) {
      const details = user ? { fix: user.fix, code: user.code, exitCode: user.exitCode } : { code: 'EINTERNAL' as const, exitCode: 1 };
      process.stdout.write(`${core.jsonText({ ...user?.data, ...core.errorJson((error as Error).message, details) })}\n`);
    } else output.error(core.errorLine(error));
    process.exitCode = user?.exitCode ?? 1;
    return true;
  } finally {
    await session.close();
  }
}
