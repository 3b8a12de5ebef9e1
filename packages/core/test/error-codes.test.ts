// Error codes are one typed list, documented in docs/errors.md; one formatter gives the line the CLI prints.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ERROR_CODES, errorLine, knownCode, UserError } from '../src/errors';

test('docs/errors.md lists exactly the codes of ERROR_CODES, with the same meanings', () => {
  const doc = readFileSync(path.join(__dirname, '../../../docs/errors.md'), 'utf8');
  const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (.*) \|$/gm)].map((m) => [m[1], m[2]]);
  assert.deepEqual(Object.fromEntries(rows), ERROR_CODES);
  assert.equal(rows.length, Object.keys(ERROR_CODES).length, 'no code twice');
});

test('the merged near-duplicates are gone', () => {
  for (const gone of ['EUNSUPPORTED', 'ENOENT', 'EREMOTE']) assert.ok(!(gone in ERROR_CODES), gone);
  for (const kept of ['ENOTSUPPORTED', 'ENOFILE', 'EHTTP']) assert.ok(kept in ERROR_CODES, kept);
});

test('one line: problem; fix for a UserError (error.line is the same), a --debug hint for anything else', () => {
  const error = new UserError('x is frozen on the registry', { fix: 'push it under another tag', code: 'EFROZEN' });
  assert.equal(errorLine(error), 'x is frozen on the registry; push it under another tag');
  assert.equal(error.line, errorLine(error));
  assert.equal(errorLine(new UserError('no fix here')), 'no fix here');
  assert.equal(new UserError('plain').code, 'EUSER');
  assert.equal(errorLine(new TypeError('boom')), 'unexpected failure: boom; re-run with --debug for details');
});

test('knownCode keeps a documented errno name and replaces any other', () => {
  assert.equal(knownCode('EROFS', 'EWRITE'), 'EROFS');
  assert.equal(knownCode('EXDEV', 'EWRITE'), 'EWRITE');
  assert.equal(knownCode(undefined, 'EACCES'), 'EACCES');
  assert.equal(knownCode('toString', 'EWRITE'), 'EWRITE', 'only own keys');
});

test('a message that ends a sentence loses its full stop before the fix, an ellipsis keeps it', () => {
  assert.equal(errorLine(new UserError('No containers found.', { fix: 'check the spelling' })), 'No containers found; check the spelling');
  assert.equal(errorLine(new UserError('No containers found.')), 'No containers found.');
  assert.equal(errorLine(new UserError('waited...', { fix: 'try again' })), 'waited...; try again');
});
