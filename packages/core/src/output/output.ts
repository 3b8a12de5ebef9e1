import { LEVELS } from './levels';
import { escapeControls, printable } from './untrusted';

/**
 * Where Output writes: a stream (process.stdout), or any object with a `write(text)` method, as a script that
 * captures or drops the lines gives. Progress bars need a terminal (`isTTY`), so a plain sink never gets one.
 */
export interface OutputSink {
  write(text: string): unknown;
  isTTY?: boolean;
  /** the terminal's width, for progress bars */
  columns?: number;
}

export interface OutputOptions {
  /** configured level (MESSAGELEVEL, --quiet → QUIET-ish, --debug → DEBUG); default INFO: no debug lines */
  level?: number;
  /** --json: human lines are suppressed, the command's result is printed as JSON at the end (default false) */
  json?: boolean;
  /** --quiet: hides the announce line and progress, keeps results and errors (default false) */
  quiet?: boolean;
  stdout?: OutputSink;
  stderr?: OutputSink;
  color?: boolean;
}

const COLORS = { red: '\u001b[91m', yellow: '\u001b[93m', purple: '\u001b[95m', cyan: '\u001b[36m', reset: '\u001b[0m' };

/** A diagnostic is one line: untrusted parts are capped where they are quoted, this bounds the whole. */
const MESSAGE_MAX = 4000;

/**
 * Where every human-readable line goes. Results go to stdout, diagnostics to stderr (so `$(sregistry get x)`
 * captures only the path); with --json nothing but the final JSON document reaches stdout. Nothing written here
 * carries a control character to the terminal (output/untrusted.ts): results keep only our own newlines and
 * tabs, diagnostics are redacted and kept to one line.
 */
export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly level: number;
  readonly stdout: OutputSink;
  readonly stderr: OutputSink;
  private readonly color: boolean;

  constructor(options: OutputOptions = {}) {
    this.json = options.json ?? false;
    this.quiet = options.quiet ?? false;
    this.level = options.level ?? LEVELS.INFO;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    this.color = options.color ?? Boolean(this.stdout.isTTY && this.stderr.isTTY);
  }

  /** A result line (stdout). Hidden by --json and MESSAGELEVEL=QUIET, not by --quiet. */
  result(line: string): void {
    if (this.json || this.level < LEVELS.INFO) return;
    this.stdout.write(`${escapeControls(line, { keepLayout: true })}\n`);
  }

  /** Result lines with a coloured prefix on a terminal, e.g. the `images` header. */
  heading(line: string): void {
    if (this.json || this.level < LEVELS.INFO) return;
    const safe = escapeControls(line, { keepLayout: true });
    this.stdout.write(`${this.color ? `${COLORS.red}${safe}${COLORS.reset}` : safe}\n`);
  }

  /** Chatter such as the announce line: hidden by --quiet and --json. */
  info(line: string): void {
    if (this.quiet) return;
    this.result(line);
  }

  warn(message: string): void {
    if (this.level < LEVELS.WARNING) return;
    this.stderr.write(`${this.paint('WARNING', COLORS.yellow)} ${printable(message, { max: MESSAGE_MAX })}\n`);
  }

  error(message: string): void {
    if (this.level < LEVELS.ERROR) return;
    this.failure(message);
  }

  /**
   * The line of a command that failed, at every MESSAGELEVEL: a failure that says nothing (the original's QUIET,
   * CRITICAL, ABORT) leaves a script's log with an exit code and no reason (docs/differences-from-the-original.md).
   */
  failure(message: string): void {
    this.stderr.write(`${this.paint('ERROR', COLORS.red)} ${printable(message, { max: MESSAGE_MAX })}\n`);
  }

  /**
   * One debug line, whatever the message holds: a newline in it (a server's error body, a plugin's message) is
   * escaped like any control character, so outside text cannot start a line of its own that looks like ours.
   */
  debug(message: string): void {
    if (this.level < LEVELS.DEBUG) return;
    this.stderr.write(`${this.paint('DEBUG', COLORS.cyan)} ${printable(message, { max: MESSAGE_MAX })}\n`);
  }

  /**
   * An error's stack under --debug: its head (the name and message, which may carry outside text and newlines) as
   * one line, then one line per frame. Anything that is not an Error is one line.
   */
  debugStack(error: unknown): void {
    if (this.level < LEVELS.DEBUG) return;
    for (const line of stackLines(error)) this.debug(line);
  }

  /** Whether a progress bar may be drawn (a terminal on stderr, not quiet, not JSON). */
  get progressEnabled(): boolean {
    return Boolean(this.stderr.isTTY) && !this.quiet && !this.json && this.level >= LEVELS.INFO;
  }

  private paint(prefix: string, color: string): string {
    return this.color ? `${color}${prefix}${COLORS.reset}` : prefix;
  }
}

/** A frame of a V8 stack trace (`    at fn (file:1:2)`). */
const FRAME = /^\s+at\s/;

/**
 * The lines of an error's stack: the head whole (newlines and all: debug() escapes them), then the frames. The
 * frames are the trailing run of `at` lines, so a message whose own lines look like frames stays in the head
 * when the stack begins with the message as written.
 */
export function stackLines(error: unknown): string[] {
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : undefined;
  if (stack === undefined) return [String(error)];
  const lines = stack.split('\n');
  let first = lines.length;
  while (first > 1 && FRAME.test(lines[first - 1]!)) first--;
  const head = `${error instanceof Error ? error.name : 'Error'}: ${(error as Error).message}`;
  // the head as the error was made (V8 writes `<name at construction>: <message>`): its lines are never frames
  const written = [head, `Error: ${(error as Error).message}`].find((h) => stack.startsWith(`${h}\n`) || stack === h);
  if (written !== undefined) first = Math.max(first, written.split('\n').length);
  return [lines.slice(0, first).join('\n'), ...lines.slice(first)];
}
