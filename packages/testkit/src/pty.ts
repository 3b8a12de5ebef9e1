// A command on a real pseudo-terminal, for what a CLI does only on a terminal (progress bars, the REPL's line
// editing and history). The terminal comes from python3's `pty` module, driven from here: it is on every machine
// that can build the native SQLite binding (CI's included), where node-pty would need node-gyp and a compiler
// for itself. The python side only relays bytes (stdin to the terminal, the terminal to stdout) and sets the
// window size; waiting for text and answering it is done here.
import { type ChildProcess, spawn } from 'node:child_process';
import { cleanEnv } from './cli-runner';

const RELAY = `
import fcntl, os, pty, select, signal, struct, sys, termios
cols, rows, cmd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    os.execvp(cmd[0], cmd)
inputs = [fd, 0]
while True:
    ready, _, _ = select.select(inputs, [], [])
    if 0 in ready:
        data = os.read(0, 65536)
        if data:
            os.write(fd, data)
        else:
            inputs.remove(0)
    if fd in ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b''
        if not data:
            break
        os.write(1, data)
_, status = os.waitpid(pid, 0)
sys.exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
`;

export interface PtySession {
  /** everything the terminal showed so far, `\r\n` turned into `\n` */
  readonly output: string;
  /** types `text` (a newline is Enter) */
  write(text: string): void;
  /** resolves once the output (from `from`, default: all of it) matches; rejects after `timeoutMs` with what was seen */
  waitFor(pattern: RegExp | string, options?: { timeoutMs?: number; from?: number }): Promise<void>;
  /** the exit status (128 + n when ended by signal n) */
  exited: Promise<number>;
  kill(): void;
}

/** Runs `command args…` on a terminal of `columns`×`rows`, in `env` (cleaned like every CLI run of the tests). */
export function runInPty(
  command: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; columns?: number; rows?: number; timeoutMs?: number } = {},
): PtySession {
  const child: ChildProcess = spawn('python3', ['-c', RELAY, String(options.columns ?? 80), String(options.rows ?? 24), command, ...args], {
    env: cleanEnv({ TERM: 'xterm', ...options.env }),
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  const waiters = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8').replace(/\r\n/g, '\n');
    for (const check of [...waiters]) check();
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new Error(`cannot run python3 for a pseudo-terminal (${error.message}): install python3 (its pty module is used)`)),
    );
    child.once('close', (code) => {
      clearTimeout(guard);
      for (const check of [...waiters]) check();
      resolve(code ?? 1);
    });
  });
  return {
    get output() {
      return output;
    },
    write: (text) => child.stdin?.write(text),
    waitFor: (pattern, { timeoutMs = 60_000, from = 0 } = {}) =>
      new Promise<void>((resolve, reject) => {
        const matches = () => (typeof pattern === 'string' ? output.includes(pattern, from) : pattern.test(output.slice(from)));
        const check = () => {
          if (matches()) {
            done();
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`the program ended before ${String(pattern)} appeared; the terminal showed:\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${String(pattern)} did not appear within ${timeoutMs} ms; the terminal showed:\n${output}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    exited,
    kill: () => child.kill('SIGKILL'),
  };
}
