import readline from 'node:readline';
import { Writable } from 'node:stream';
import { UserError } from '../errors';
import { printable } from '../output/untrusted';
import { cancelled } from '../transfer/retry';

export interface PassphraseOptions {
  input?: NodeJS.ReadStream;
  /** the command's Ctrl-C (ops/interrupt.ts): aborts the wait for stdin */
  signal?: AbortSignal;
  /** a debug line (--debug) once stdin is being read: nothing else shows that the command waits for it */
  debug?: (message: string) => void;
}

/**
 * The passphrase of the locked key in `keyFile`: asked on the terminal without echo when stdin is one, otherwise
 * the next line of stdin (`echo "$PASS" | sregistry sign …`, or a file redirected in): the first locked key takes
 * the first line, the second the second line, and so on, in the order the keys are given. It is never printed or
 * logged. Ctrl-C cancels the command (ECANCELLED, exit 130); no answer (Ctrl-D, an empty line, nothing on stdin,
 * fewer lines than locked keys) is refused as such, not tried as a passphrase that would then be called wrong.
 */
export async function readPassphrase(keyFile: string, options: PassphraseOptions = {}): Promise<string> {
  const input = options.input ?? process.stdin;
  const terminal = input.isTTY === true;
  // the line of stdin this key takes: the second locked key needs the second line, not "the first"
  const line = (asked.get(input) ?? 0) + 1;
  asked.set(input, line);
  const answer = await (terminal
    ? askHidden(`Passphrase for ${printable(keyFile)}: `, input, options.signal)
    : linesOf(input).next(options.signal, () => options.debug?.(`reading the passphrase for ${printable(keyFile)} from stdin`)));
  if (answer) return answer;
  throw new UserError(`no passphrase given ${terminal ? 'at the prompt' : 'on stdin'} for ${keyFile}`, {
    fix: terminal
      ? `the key is locked: type its passphrase, or give it as the ${ordinal(line)} line of stdin`
      : `give it as the ${ordinal(line)} line of stdin (echo "$PASS" | sregistry sign …; one line per locked key, in --key order), or run on a terminal to be asked`,
    code: 'ENOPASSPHRASE',
  });
}

/** How many passphrases were asked of each input so far (one line of stdin each, in --key order). */
const asked = new WeakMap<NodeJS.ReadStream, number>();

function ordinal(n: number): string {
  return ['first', 'second', 'third', 'fourth', 'fifth'][n - 1] ?? `${n}th`;
}

/**
 * The lines of a piped or redirected stdin, handed out one at a time. One reader per stream for the whole process:
 * the text that arrived after the first line is kept for the next key (a second reader would wait for a stream
 * that has ended already, for an 'end' that never comes again, and the process would run out of work and exit 0
 * without signing).
 */
class StdinLines {
  private text = '';
  private ended = false;
  private failure?: Error;
  /** the pending next(), told when something arrived */
  private wake?: () => void;

  constructor(private readonly input: NodeJS.ReadStream) {
    // listening for good: the 'end' of a stream that ended between two keys would otherwise go unseen
    input.on('data', (chunk: Buffer | string) => {
      this.text += String(chunk);
      this.wake?.();
    });
    input.once('end', () => {
      this.ended = true;
      this.wake?.();
    });
    input.once('error', (error: Error) => {
      this.failure = error;
      this.wake?.();
    });
    input.pause();
  }

  /** The next line ('' once stdin has ended without one). */
  next(signal: AbortSignal | undefined, onWait: () => void): Promise<string> {
    return new Promise((resolve, reject) => {
      const onAbort = () => finish(() => reject(cancelled(signal ?? AbortSignal.abort(), 'sign')));
      let done = false;
      const finish = (settle: () => void) => {
        done = true;
        this.wake = undefined;
        signal?.removeEventListener('abort', onAbort);
        // the rest of stdin waits for the next key; paused, it no longer keeps the process alive
        this.input.pause();
        settle();
      };
      const check = () => {
        const end = this.text.indexOf('\n');
        if (end !== -1) {
          const line = this.text.slice(0, end).replace(/\r$/, '');
          this.text = this.text.slice(end + 1);
          return finish(() => resolve(line));
        }
        if (this.failure) return finish(() => reject(this.failure));
        if (this.ended || this.input.readableEnded) {
          const line = this.text.replace(/\r$/, '');
          this.text = '';
          return finish(() => resolve(line));
        }
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      onWait();
      this.wake = check;
      check();
      if (!done) this.input.resume();
    });
  }
}

const readers = new WeakMap<NodeJS.ReadStream, StdinLines>();
function linesOf(input: NodeJS.ReadStream): StdinLines {
  const reader = readers.get(input) ?? new StdinLines(input);
  readers.set(input, reader);
  return reader;
}

/**
 * The answer typed on the terminal. readline reads the terminal raw, so Ctrl-C arrives as its 'SIGINT' event
 * rather than as a signal, and Ctrl-D on an empty line closes it: both must end the wait, or the process would
 * simply run out of work and exit 0 without signing.
 */
function askHidden(prompt: string, input: NodeJS.ReadStream, signal?: AbortSignal): Promise<string> {
  let muted = false;
  // the prompt goes to stderr (stdout may be piped); what is typed after it is swallowed
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = readline.createInterface({ input, output, terminal: true });
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      rl.close();
      process.stderr.write('\n');
      settle();
    };
    const onAbort = () => finish(() => reject(cancelledSign(signal)));
    rl.on('SIGINT', onAbort);
    rl.once('close', () => finish(() => resolve('')));
    signal?.addEventListener('abort', onAbort, { once: true });
    rl.question(prompt, (answer) => finish(() => resolve(answer)));
    muted = true;
  });
}

/** ECANCELLED (exit 130): from the command's Ctrl-C, or from the Ctrl-C that readline caught on the terminal. */
function cancelledSign(signal: AbortSignal | undefined): UserError {
  return cancelled(signal ?? AbortSignal.abort(), 'sign');
}
