import readline from 'node:readline';
import { cancelled } from '../transfer/retry';

/**
 * Asks a yes/no question on stderr (stdout stays clean for --json); re-asks until the answer is clear. From a pipe
 * (`echo y | sregistry delete …`) the question is shown when an answer arrives: with nothing piped (no terminal to
 * ask), the caller's refusal is the only line printed. On a terminal, Ctrl-D is a "no" and Ctrl-C cancels the
 * command (ECANCELLED, exit 130) as it does anywhere else.
 */
export async function confirm(question: string): Promise<'yes' | 'no' | 'no-terminal'> {
  if (!process.stdin.isTTY && process.stdin.readableEnded) return 'no-terminal';
  const terminal = Boolean(process.stdin.isTTY);
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal });
  // The iterator queues lines: piped answers ("maybe\ny\n") arrive together, and rl.question would drop all but one.
  const lines = rl[Symbol.asyncIterator]();
  // readline takes the terminal's Ctrl-C for itself (raw mode): without a listener it would only pause
  let interrupted = false;
  rl.on('SIGINT', () => {
    interrupted = true;
    process.stderr.write('\n');
    rl.close();
  });
  let prompt = `${question} [y/n] `;
  try {
    for (;;) {
      if (terminal) {
        rl.setPrompt(prompt);
        rl.prompt();
      }
      const next = await lines.next();
      if (interrupted) throw cancelled(AbortSignal.abort(), 'delete');
      if (next.done && terminal) {
        process.stderr.write('\n');
        return 'no';
      }
      if (next.done) return 'no-terminal';
      if (!terminal) process.stderr.write(prompt);
      const first = String(next.value).trim().toLowerCase()[0];
      if (first === 'y') return 'yes';
      if (first === 'n') return 'no';
      prompt = 'Please answer yes or no: ';
    }
  } finally {
    rl.close();
  }
}
