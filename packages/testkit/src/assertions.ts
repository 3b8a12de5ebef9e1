// Assertions the end-to-end tests of several packages share.
import assert from 'node:assert/strict';
import type { CliResult } from './cli-runner';

/** A user error: exit 1, exactly one `ERROR …` line on stderr matching `pattern`, and no stack trace. */
export function assertOneLineError(r: CliResult, pattern: RegExp): string {
  assert.equal(r.code, 1, `exit 1 expected, got ${r.code}; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], /^ERROR /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  return lines[0];
}
