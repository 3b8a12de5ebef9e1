import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { recordToJson } from '../catalog/record-json';
import { Output } from '../output/output';
import { stateDir } from '../settings/env';
import { listImages } from './images';
import { inspectRecord } from './inspect';
import { pullImage } from './pull';
import { pullPrinter } from './pull-events';
import { searchRemote } from './remote';
import { Session } from './session';

/**
 * `shell [backend]`: a Node REPL with `client`, as the original's Python shell had: client.speak(),
 * client.client_name, await client.pull(uri), await client.search(q) (rows as arrays), await client.inspect(uri),
 * await client.images(). Calls made from the REPL print nothing themselves; they return values. Under --json the REPL
 * talks on stderr and the command's one document, once the REPL ends, says which backend and database it used.
 */
export async function openShell(session: Session, given?: string): Promise<{ backend: string; database: string }> {
  // `shell registry://`, as a URI names it, is the backend `registry`
  const backendName = given?.replace(/:\/*$/, '') || undefined;
  const selected = backendName ? backendName.toLowerCase() : session.selection().name;
  const screen = session.out.json ? session.out.stderr : session.out.stdout;
  session.backends.module(selected); // fails now, with the install hint, rather than on the first call
  // calls return their values instead of printing result lines; warnings and progress bars still reach the terminal
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  const output = new Output({ level: 1, json: false, quiet: false, stdout: discard, stderr: session.out.stderr });
  const quiet = new Session({ env: session.env, backends: session.backends, output });
  const withBackend = (u: string) => (backendName && !u.includes('://') ? `${backendName}://${u}` : u);
  const client = {
    client_name: selected,
    database: session.databaseUrl,
    speak() {
      const line = `[client|${selected}] [database|${session.databaseUrl}]`;
      screen.write(`${line}\n`);
      return undefined;
    },
    pull: (image: string, options: { name?: string; force?: boolean } = {}) =>
      pullImage(quiet, { uri: withBackend(image), ...options, onEvent: pullPrinter(quiet.out) }),
    search: async (query?: string) =>
      (await searchRemote(quiet, query ? [withBackend(query)] : backendName ? [`${backendName}://*`] : [])).flatMap((r) => r.rows),
    inspect: (image: string) => inspectRecord(quiet, image),
    images: async (query?: string) => listImages(quiet, query ? [query] : []),
    get: async (image: string) => recordToJson((await (await quiet.catalog()).find(quiet.parseLocal(image))) ?? (undefined as never)),
    toString: () => `[client|${selected}]`,
  };
  // the announce is the one line --quiet hides, as for every other command; the REPL's banner and prompt stay
  if (!session.out.quiet) client.speak();
  screen.write(`${SHELL_BANNER}\n`);
  // loaded here: every command imports the ops, only `shell` needs the REPL
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const repl = require('node:repl') as typeof import('node:repl');
  const server = repl.start({
    prompt: 'sregistry> ',
    useGlobal: false,
    terminal: Boolean(process.stdin.isTTY),
    input: process.stdin,
    // the CLI's Output writes to process streams; a script's plain sink (output/output.ts) is no REPL terminal
    output: typeof (screen as Partial<NodeJS.WritableStream>).on === 'function' ? (screen as NodeJS.WritableStream) : process.stdout,
  });
  // listened for at once: an input that is already at its end (stdin from /dev/null, a batch job) ends the REPL
  // while the history is still being set up, and a later listener would miss it (nothing printed, exit 0)
  const ended = new Promise<void>((resolve) => server.once('exit', resolve));
  server.context.client = client;
  server.context.session = quiet;
  await keepHistory(server, session);
  await ended;
  await quiet.close();
  return { backend: selected, database: session.databaseUrl };
}

/** One line of what `client` offers, printed when the shell starts. */
export const SHELL_BANNER =
  'client: speak(), await pull(uri), await search(query), await inspect(uri), await images(query), await get(uri); .help, .exit';

/** The REPL's history in $XDG_STATE_HOME/sregistry/shell_history (kept across sessions, 0600: it may hold names). */
async function keepHistory(server: import('node:repl').REPLServer, session: Session): Promise<void> {
  const file = path.join(stateDir(session.env), 'shell_history');
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch (error) {
    session.out.warn(`the shell history cannot be kept in ${path.dirname(file)} (${(error as NodeJS.ErrnoException).code ?? error})`);
    return;
  }
  await new Promise<void>((resolve) =>
    server.setupHistory(file, (error) => {
      if (error)
        session.out.warn(`the shell history cannot be kept in ${file} (${(error as NodeJS.ErrnoException).code ?? error.message})`);
      resolve();
    }),
  );
}
