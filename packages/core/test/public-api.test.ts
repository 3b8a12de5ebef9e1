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

test('the built entry gives ES modules every public name (named imports), and CommonJS still loads parts on first use', async () => {
  const { execFileSync } = await import('node:child_process');
  const path = await import('node:path');
  const { pathToFileURL } = await import('node:url');
  const entry = path.join(import.meta.dirname, '..', 'dist', 'index.js');
  const esm = `import * as core from ${JSON.stringify(pathToFileURL(entry).href)};
import { listImages, Session } from ${JSON.stringify(pathToFileURL(entry).href)};
console.log(JSON.stringify({ names: Object.keys(core).filter((n) => n !== 'default' && n !== '__esModule').sort(), listImages: typeof listImages, Session: typeof Session }));`;
  const seen = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', esm], { encoding: 'utf8' }));
  assert.deepEqual(seen.names, Object.keys(core).sort());
  assert.equal(seen.listImages, 'function');
  assert.equal(seen.Session, 'function');
  const cjs = `require(${JSON.stringify(entry)}); console.log(Object.keys(require.cache).length)`;
  assert.equal(execFileSync(process.execPath, ['-e', cjs], { encoding: 'utf8' }).trim(), '1', 'requiring the entry loads nothing else');
});
