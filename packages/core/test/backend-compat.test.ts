// Discovery checks each plugin's peer range on @sregistry/core with semver, before loading anything of it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BackendRegistry, coreMismatch, discoverBackends, isUserError } from '../src/index';

test('ranges: fitting, excluding, workspace forms, none, invalid, prereleases', () => {
  const peer = (range: unknown) => ({ '@sregistry/core': range });
  assert.equal(coreMismatch(peer('>=0.1.0 <1'), '0.3.0'), undefined);
  assert.equal(coreMismatch(peer('workspace:>=0.1.0 <1'), '0.3.0'), undefined);
  assert.equal(coreMismatch(peer('workspace:^'), '0.3.0'), undefined);
  assert.equal(coreMismatch(peer('>=0.1.0 <1'), '0.4.0-next.1'), undefined, 'a prerelease inside the range fits');
  assert.equal(coreMismatch(undefined, '0.3.0'), undefined, 'no peer dependencies: not checked');
  assert.equal(coreMismatch({ other: '1' }, '0.3.0'), undefined, 'no range on core: not checked');
  assert.deepEqual(coreMismatch(peer('^2.0.0'), '0.3.0'), { range: '^2.0.0', core: '0.3.0' });
  assert.deepEqual(coreMismatch(peer('>=0.5.0 <1'), '0.3.0'), { range: '>=0.5.0 <1', core: '0.3.0' });
  assert.deepEqual(coreMismatch(peer('not a range'), '0.3.0'), { range: 'not a range', core: '0.3.0' });
});

test('a plugin that does not fit is discovered as unusable and its module is never required', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-compat-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const marker = path.join(root, 'loaded');
  fs.writeFileSync(path.join(root, 'backend.js'), `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x');\n`);
  const plugin = (name: string, range: string, type: string) => ({
    name,
    version: '1.0.0',
    root,
    type,
    pjson: { sregistry: { backends: { far: './backend.js' } }, peerDependencies: { '@sregistry/core': range } },
  });
  // a linked plugin that does not fit does not hide a shipped one that does
  const both = discoverBackends([plugin('fits', '>=0.0.1', 'core'), plugin('future', '>=99', 'link')]);
  assert.equal(both.length, 1);
  assert.equal(both[0]?.plugin, 'fits');
  assert.equal(both[0]?.mismatch, undefined);

  const entries = discoverBackends([plugin('future', '>=99', 'link')]);
  assert.equal(entries[0]?.mismatch?.range, '>=99');
  const registry = new BackendRegistry(entries);
  const error = await registry
    .create('far', { settings: { get: () => undefined, getBoolean: () => false, require: () => '' }, log: console })
    .then(
      () => assert.fail('created'),
      (e: unknown) => e,
    );
  assert.ok(isUserError(error));
  assert.equal(error.code, 'EINCOMPATIBLE');
  assert.match(
    error.message,
    /^The backend "far" cannot be used: future@1\.0\.0 needs @sregistry\/core >=99, but the installed core is \d/,
  );
  assert.ok(!fs.existsSync(marker), 'the module was not required');
});
