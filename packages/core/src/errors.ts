/**
 * A failure the user can act on. The CLI prints `message` as one line (with `fix` after it) and exits with
 * `exitCode`; stacks are shown only with --debug. Anything that is not a UserError is a bug and is reported
 * with a hint to re-run with --debug.
 */
export class UserError extends Error {
  readonly fix?: string;
  readonly exitCode: number;
  readonly code: string;
  /** what the command found before failing, printed beside the error with --json (e.g. a verification report) */
  readonly data?: Record<string, unknown>;

  constructor(
    message: string,
    options: { fix?: string; exitCode?: number; code?: string; cause?: unknown; data?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.fix = options.fix;
    this.exitCode = options.exitCode ?? 1;
    this.code = options.code ?? 'EUSER';
    if (options.data) this.data = options.data;
  }

  /** The single line shown to the user. */
  get line(): string {
    return this.fix ? `${this.message}: ${this.fix}` : this.message;
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof Error && (error as UserError).name === 'UserError' && typeof (error as UserError).exitCode === 'number';
}
