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
 * the first line of stdin (`echo "$PASS" | sregistry sign …`, or a file redirected in). It is never printed or
 * logged. Ctrl-C cancels the command (ECANCELLED, exit 130); no answer (Ctrl-D, an empty line, nothing on stdin)
 * is refused as such, not tried as a passphrase that would then be called wrong.
 */
export async function readPassphrase(keyFile: string, options: PassphraseOptions = {}): Promise<string> {
  const input = options.input ?? process.stdin;
  const terminal = input.isTTY === true;
  const answer = await (terminal
    ? askHidden(`Passphrase for ${printable(keyFile)}: `, input, options.signal)
    : firstLine(input, options.signal, () => options.debug?.(`reading the passphrase for ${printable(keyFile)} from stdin`)));
  if (answer) return answer;
  throw new UserError(`no passphrase given ${terminal ? 'at the prompt' : 'on stdin'} for ${keyFile}`, {
    fix: terminal
      ? 'the key is locked: type its passphrase, or give it as the first line of stdin'
      : 'give it as the first line of stdin (echo "$PASS" | sregistry sign …), or run on a terminal to be asked',
    code: 'ENOPASSPHRASE',
  });
}

/** The first line of a piped or redirected stdin ('' when it ends first). */
function firstLine(input: NodeJS.ReadStream, signal: AbortSignal | undefined, onWait: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (settle: () => void) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      // the rest of stdin is not ours to read; paused, it no longer keeps the process alive
      input.pause();
      settle();
    };
    const onData = (chunk: Buffer | string) => {
      text += String(chunk);
      if (text.includes('\n')) finish(() => resolve(text.split(/\r?\n/)[0] ?? ''));
    };
    const onEnd = () => finish(() => resolve(text.split(/\r?\n/)[0] ?? ''));
    const onError = (error: Error) => finish(() => reject(error));
    const onAbort = () => finish(() => reject(cancelledSign(signal)));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onError);
    onWait();
  });
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
