import { LEVELS } from './levels';

export interface OutputOptions {
  /** configured level (MESSAGELEVEL, --quiet → QUIET-ish, --debug → DEBUG) */
  level: number;
  /** --json: human lines are suppressed, the command's result is printed as JSON at the end */
  json: boolean;
  /** --quiet: hides the announce line and progress, keeps results and errors */
  quiet: boolean;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  color?: boolean;
}

const COLORS = { red: '\u001b[91m', yellow: '\u001b[93m', purple: '\u001b[95m', cyan: '\u001b[36m', reset: '\u001b[0m' };

/**
 * Where every human-readable line goes. Results go to stdout, diagnostics to stderr (so `$(sregistry get x)`
 * captures only the path); with --json nothing but the final JSON document reaches stdout.
 */
export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly level: number;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly color: boolean;

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.quiet = options.quiet;
    this.level = options.level;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    this.color = options.color ?? Boolean(this.stdout.isTTY && this.stderr.isTTY);
  }

  /** A result line (stdout). Hidden by --json and MESSAGELEVEL=QUIET, not by --quiet. */
  result(line: string): void {
    if (this.json || this.level < LEVELS.INFO) return;
    this.stdout.write(`${line}\n`);
  }

  /** Result lines with a coloured prefix on a terminal, e.g. the `images` header. */
  heading(line: string): void {
    this.result(this.color ? `${COLORS.red}${line}${COLORS.reset}` : line);
  }

  /** Chatter such as the announce line: hidden by --quiet and --json. */
  info(line: string): void {
    if (this.quiet) return;
    this.result(line);
  }

  warn(message: string): void {
    if (this.level < LEVELS.WARNING) return;
    this.stderr.write(`${this.paint('WARNING', COLORS.yellow)} ${message}\n`);
  }

  error(message: string): void {
    if (this.level < LEVELS.ERROR) return;
    this.stderr.write(`${this.paint('ERROR', COLORS.red)} ${message}\n`);
  }

  debug(message: string): void {
    if (this.level < LEVELS.DEBUG) return;
    this.stderr.write(`${this.paint('DEBUG', COLORS.cyan)} ${message}\n`);
  }

  /** Whether a progress bar may be drawn (a terminal on stderr, not quiet, not JSON). */
  get progressEnabled(): boolean {
    return Boolean(this.stderr.isTTY) && !this.quiet && !this.json && this.level >= LEVELS.INFO;
  }

  private paint(prefix: string, color: string): string {
    return this.color ? `${color}${prefix}${COLORS.reset}` : prefix;
  }
}
