import { errorJson, errorLine, isUserError } from '../errors';
import { LEVELS } from '../output/levels';
import type { Session } from './session';

export interface FailureOptions {
  /** --json: the failure is one JSON document (through `writeJson`), not a line on stderr */
  json: boolean;
  writeJson(document: unknown): void;
}

/**
 * How a command's failure is shown, for the oclif command base (`SregistryCommand.catch`, after oclif's own usage
 * errors) and for the CLI's fast path alike, so both print the same: a user-facing failure is one line (`ERROR
 * <problem>; <fix>`) with its exit code, anything else a bug in one line with exit 1; under --json one document
 * instead. With --debug (the session's output level) the stacks follow the line. Returns the exit code; the caller
 * ends the process its own way.
 */
export function reportFailure(error: Error, session: Session | undefined, options: FailureOptions): number {
  const debug = session !== undefined && session.out.level >= LEVELS.DEBUG;
  if (isUserError(error)) {
    // a mistyped name or an empty value (a usage error) is not about which backend was used
    if (error.code !== 'EBADNAME' && error.code !== 'EUSAGE') session?.warnIfOtherConfigured();
    if (options.json) {
      options.writeJson({ ...error.data, ...errorJson(error.message, { fix: error.fix, code: error.code, exitCode: error.exitCode }) });
      return error.exitCode;
    }
    // the few look-ups that keep the original's exit 0 (mv or rename of an image whose file is gone) warn, as it
    // did: an ERROR line from a command that succeeds misleads whoever reads it
    if (error.exitCode === 0) session?.out.warn(errorLine(error));
    else session?.out.failure(errorLine(error));
    if (debug && error.cause) session.out.debugStack(error.cause);
    if (debug) session.out.debugStack(error);
    return error.exitCode;
  }
  if (options.json) {
    options.writeJson(errorJson(error.message, { code: 'EINTERNAL', exitCode: 1 }));
    return 1;
  }
  session?.out.failure(errorLine(error, { debug }));
  if (debug) session.out.debugStack(error);
  return 1;
}

/**
 * Node exits 0 when nothing is left to do, even while the command's own promise is still pending (it waited for
 * an event that can no longer come: a backend's promise that never settles, an 'end' of a stdin that ended
 * already). A command that ends so did not do its work, and must not look like a success: until the returned
 * function is called, such an exit reports `command` as unfinished through `report` (exit code 1). For the oclif
 * command base and the CLI's fast path alike.
 */
export function reportIfUnfinished(command: string, report: (error: Error) => void): () => void {
  const unfinished = () => report(new Error(`${command} stopped before finishing (it was left waiting for something that never came)`));
  process.once('beforeExit', unfinished);
  return () => process.off('beforeExit', unfinished);
}
