// Entry point of the `sregistry-testkit` binary (bin/sregistry-testkit.js requires the compiled form).
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sampleSif } from '../fixtures/sample-sif';
import { SERVE_USAGE, serve, UsageError } from './serve';
import { SERVE_HUB_USAGE, serveHub } from './serve-hub';
import { SERVE_LIBRARY_USAGE, serveLibrary } from './serve-library';

/** Long-running commands: each starts a server and returns how to stop it. */
const SERVERS: Record<string, { usage: string; start: (argv: string[]) => Promise<{ stop(): Promise<void> }> }> = {
  serve: { usage: SERVE_USAGE, start: serve },
  'serve-hub': { usage: SERVE_HUB_USAGE, start: serveHub },
  'serve-library': { usage: SERVE_LIBRARY_USAGE, start: serveLibrary },
};

// sregistry builds no images: trying it by hand (add, push, serve --image) needs one, and a real SIF shows what
// inspect and verify read, where a file of zeros is only warned about
const SIF_USAGE = `Usage: sregistry-testkit sif FILE

  write a small valid SIF image to FILE (a definition file, inspect metadata and a 4 KiB amd64 partition);
  an existing FILE is left alone
`;

const USAGE = `Usage: sregistry-testkit <command>

Commands:
  serve          run a fake Singularity Registry Server (native API) until SIGINT/SIGTERM
  serve-hub      run a fake Singularity Hub archive (shub://) until SIGINT/SIGTERM
  serve-library  run a fake Library API server (library://) and its object host until SIGINT/SIGTERM
  sif            write a small valid SIF image

${SERVE_USAGE}
${SERVE_HUB_USAGE}
${SERVE_LIBRARY_USAGE}
${SIF_USAGE}`;

async function writeSampleSif(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {} });
  const [file, ...extra] = positionals;
  if (file === undefined || file === '' || extra.length > 0) {
    process.stderr.write(`sregistry-testkit: sif takes one FILE\n\n${SIF_USAGE}`);
    return 2;
  }
  if (existsSync(file)) {
    process.stderr.write(`sregistry-testkit: ${file} exists already; remove it or name another file\n`);
    return 1;
  }
  await sampleSif(file);
  process.stdout.write(`wrote ${file}\n`);
  return 0;
}

/** Returns the exit code for commands that finish; `serve` resolves once listening and keeps the process alive. */
export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'sif') {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(SIF_USAGE);
      return 0;
    }
    try {
      return await writeSampleSif(rest);
    } catch (err) {
      const usage = (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
      process.stderr.write(`sregistry-testkit: ${(err as Error).message}\n`);
      return usage ? 2 : 1;
    }
  }
  const server = Object.hasOwn(SERVERS, command) ? SERVERS[command] : undefined;
  if (!server) {
    process.stderr.write(`Unknown command: ${command}\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(server.usage);
    return 0;
  }
  try {
    const running = await server.start(rest);
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
