// Every --debug line is one line: a newline in a server's text or in a plugin's message is escaped, so nothing from
// outside can start a line of its own; a stack trace keeps one line per frame, its message on the first.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { UserError } from '../src/errors';
import { reportFailure } from '../src/ops/failure';
import type { Session } from '../src/ops/session';
import { LEVELS } from '../src/output/levels';
import { Output } from '../src/output/output';

function debugOutput(): { out: Output; text: () => string } {
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
  const out = new Output({ level: LEVELS.DEBUG, json: false, quiet: false, stdout: new PassThrough(), stderr, color: false });
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

test('a debug message with CR, LF, escape sequences and C1 controls is one line', () => {
  const { out, text } = debugOutput();
  out.debug('unexpected answer 400 (\u001b[31mRED\u001b]0;pwned\u0007\r\nFAKE LINE\u009b2J\nDEBUG forged)');
  const lines = text().split('\n');
  assert.deepEqual(lines.slice(1), [''], `one line: ${JSON.stringify(text())}`);
  assert.equal(
    lines[0],
    'DEBUG unexpected answer 400 (\\u001b[31mRED\\u001b]0;pwned\\u0007\\u000d\\u000aFAKE LINE\\u009b2J\\u000aDEBUG forged)',
  );
});

test("a stack under --debug: the error's message, newlines and all, on the first line; then one line per frame", () => {
  const { out, text } = debugOutput();
  // a plugin's message with a raw newline, and one made to look like a frame
  const error = new UserError('the plugin failed\nDEBUG forged line\n    at forged (evil.js:1:1)', { fix: 'none', code: 'EHTTP' });
  const code = reportFailure(error, { out, warnIfOtherConfigured: () => {} } as unknown as Session, { json: false, writeJson: () => {} });
  assert.equal(code, 1);
  const lines = text().trimEnd().split('\n');
  assert.match(lines[0]!, /^ERROR the plugin failed\\u000aDEBUG forged line\\u000a {4}at forged \(evil\.js:1:1\); none$/);
  assert.match(lines[1]!, /^DEBUG (User)?Error: the plugin failed\\u000aDEBUG forged line\\u000a {4}at forged \(evil\.js:1:1\)$/);
  const frames = lines.slice(2);
  assert.ok(frames.length > 0, 'the frames follow');
  for (const line of frames) assert.match(line, /^DEBUG {5}at .+/, `a frame line: ${line}`);
  assert.ok(!frames.some((line) => line.includes('evil.js')), 'the forged frame stays in the message');
});

test('a cause that is not an Error, and a non-UserError, are shown the same way', () => {
  const { out, text } = debugOutput();
  const error = new UserError('outer', { cause: 'inner\nline' });
  reportFailure(error, { out, warnIfOtherConfigured: () => {} } as unknown as Session, { json: false, writeJson: () => {} });
  assert.match(text(), /\nDEBUG inner\\u000aline\n/);
  const bug = debugOutput();
  reportFailure(new TypeError('bad\nthing'), { out: bug.out } as unknown as Session, { json: false, writeJson: () => {} });
  const lines = bug.text().trimEnd().split('\n');
  assert.match(lines[1]!, /^DEBUG TypeError: bad\\u000athing$/);
  for (const line of lines.slice(2)) assert.match(line, /^DEBUG {5}at /);
});
