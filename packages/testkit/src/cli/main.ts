// Entry point of the `sregistry-testkit` binary (bin/sregistry-testkit.js requires the compiled form).
import { SERVE_USAGE, serve, UsageError } from './serve';

const USAGE = `Usage: sregistry-testkit <command>

Commands:
  serve    run a fake Singularity Registry Server (native API) until SIGINT/SIGTERM

${SERVE_USAGE}`;

/** Returns the exit code for commands that finish; `serve` resolves once listening and keeps the process alive. */
export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'serve') {
    process.stderr.write(`Unknown command: ${command}\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  try {
    const running = await serve(rest);
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // Closing the server empties the event loop, so the process exits 0 on its own.
      void running.stop();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return 0;
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`sregistry-testkit: ${(err as Error).message}\n`);
    return usage ? 2 : 1;
  }
}

if (require.main === module) {
  void run(process.argv.slice(2)).then((code) => {
    if (code !== 0) process.exitCode = code;
  });
}
