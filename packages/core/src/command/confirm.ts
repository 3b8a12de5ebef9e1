import readline from 'node:readline';

/** Asks a yes/no question on stderr (stdout stays clean for --json); re-asks until the answer is clear. */
export async function confirm(question: string): Promise<'yes' | 'no' | 'no-terminal'> {
  if (!process.stdin.isTTY && process.stdin.readableEnded) return 'no-terminal';
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: Boolean(process.stdin.isTTY) });
  // The iterator queues lines: piped answers ("maybe\ny\n") arrive together, and rl.question would drop all but one.
  const lines = rl[Symbol.asyncIterator]();
  try {
    rl.setPrompt(`${question} [y/n] `);
    for (;;) {
      rl.prompt();
      const next = await lines.next();
      if (next.done) return 'no-terminal';
      const first = String(next.value).trim().toLowerCase()[0];
      if (first === 'y') return 'yes';
      if (first === 'n') return 'no';
      rl.setPrompt('Please answer yes or no: ');
    }
  } finally {
    rl.close();
  }
}
