import readline from 'node:readline';

/** Asks a yes/no question on stderr (stdout stays clean for --json); re-asks until the answer is clear. */
export async function confirm(question: string): Promise<'yes' | 'no' | 'no-terminal'> {
  if (!process.stdin.isTTY && process.stdin.readableEnded) return 'no-terminal';
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: Boolean(process.stdin.isTTY) });
  try {
    let prompt = `${question} [y/n] `;
    for (;;) {
      const line = await new Promise<string | undefined>((resolve) => {
        rl.question(prompt, resolve);
        rl.once('close', () => resolve(undefined));
      });
      if (line === undefined) return 'no-terminal';
      const first = line.trim().toLowerCase()[0];
      if (first === 'y') return 'yes';
      if (first === 'n') return 'no';
      prompt = 'Please answer yes or no: ';
    }
  } finally {
    rl.close();
  }
}
