// Assertions the end-to-end tests of several packages share.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { CliResult } from './cli-runner';

/** A user error: exit 1 (2 for a usage error), exactly one `ERROR …` line on stderr matching `pattern`, no stack trace. */
export function assertOneLineError(r: CliResult, pattern: RegExp, exitCode = 1): string {
  assert.equal(r.code, exitCode, `exit ${exitCode} expected, got ${r.code}; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], /^ERROR /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  return lines[0];
}

/** What the tests check of a UserError (core's class, whichever copy of core threw it). */
export interface UserErrorLike extends Error {
  code: string;
  exitCode: number;
  fix?: string;
  line: string;
  data?: Record<string, unknown>;
}

/**
 * Runs `fn`, expecting a UserError (recognised as core's `isUserError` does, by name and exit code, so the copy of
 * core the code under test loaded does not matter); returns it for further checks, and rethrows anything else.
 */
export async function userError<E extends Error = UserErrorLike>(fn: () => unknown): Promise<E> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof Error && error.name === 'UserError' && typeof (error as UserErrorLike).exitCode === 'number') return error as E;
    throw error;
  }
  throw new Error('expected a UserError, but nothing was thrown');
}

/** Hex SHA-256 of a file's bytes. */
export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Hex MD5 of a file's bytes. */
export function md5File(file: string): string {
  return createHash('md5').update(fs.readFileSync(file)).digest('hex');
}
