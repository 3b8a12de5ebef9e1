// The main entry is the public API: the documented names, not the internals the CLI uses (./internal).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as core from '../src/index';
import * as internal from '../src/internal';

test('internals are not exported from the main entry, and what is exported is the internals module’s own', () => {
  for (const name of [
    'catalogInternals',
    'isTempFileName',
    'syncDir',
    'JOURNAL_DIR_NAME',
    'TEMP_DIR_NAME',
    'cleanTempFiles',
    'redactSection',
  ]) {
    assert.ok(name in internal, `${name} exists internally`);
    assert.ok(!(name in core), `${name} is not public`);
  }
  for (const [name, value] of Object.entries(core)) assert.equal(value, (internal as Record<string, unknown>)[name], name);
  for (const name of [
    'Session',
    'listImages',
    'pullImage',
    'parseImageName',
    'readSif',
    'downloadToFile',
    'UserError',
    'BackendRegistry',
  ]) {
    assert.ok(name in core, `${name} is public`);
  }
});
