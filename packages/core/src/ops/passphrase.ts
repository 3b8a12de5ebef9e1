import readline from 'node:readline';
import { Writable } from 'node:stream';

/**
 * A passphrase: asked on the terminal without echo when stdin is one, otherwise the first line of stdin
 * (`echo "$PASS" | sregistry sign …`, or a file redirected in). It is never printed or logged.
 */
export async function readPassphrase(prompt: string, input: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (input.isTTY) return askHidden(prompt, input);
  let text = '';
  for await (const chunk of input) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

function askHidden(prompt: string, input: NodeJS.ReadStream): Promise<string> {
  let muted = false;
  // the prompt goes to stderr (stdout may be piped); what is typed after it is swallowed
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = readline.createInterface({ input, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(prompt, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}
