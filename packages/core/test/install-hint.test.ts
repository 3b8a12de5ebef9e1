import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { processTempDir } from '../../testkit/src/temp';
import { installFix, installHint, KNOWN_BACKENDS } from '../src/backends/packages';

// The first-party plugins are not on the public npm registry yet: from a checkout the fix links its folder, else it
// installs from a registry that holds them (SREGISTRY_NPM_REGISTRY).
function fakeCheckout(names: string[]): string {
  const root = processTempDir('install-hint-');
  for (const name of names) {
    const folder = path.join(root, 'packages', `backend-${name}`);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ name: `@sregistry/backend-${name}` }));
  }
  fs.mkdirSync(path.join(root, 'packages', 'core', 'dist', 'backends'), { recursive: true });
  return root;
}

test('from a checkout holding the plugin, the fix links its absolute folder', () => {
  const root = fakeCheckout(['registry', 'oras']);
  const from = path.join(root, 'packages', 'core', 'dist', 'backends');
  assert.equal(
    installHint('registry', from),
    `run: sregistry plugins link ${path.join(root, 'packages', 'backend-registry')} --no-install`,
  );
  const both = KNOWN_BACKENDS.filter((b) => b.name === 'oras' || b.name === 'registry');
  assert.equal(
    installFix(both, from),
    `run: sregistry plugins link ${path.join(root, 'packages', 'backend-oras')} --no-install (for oras://) or sregistry plugins link ${path.join(root, 'packages', 'backend-registry')} --no-install (for registry://)`,
  );
});

test('outside a checkout (or one without that plugin, or under node_modules) the fix installs it from an npm registry', () => {
  const install =
    'run: sregistry plugins install @sregistry/backend-library, with SREGISTRY_NPM_REGISTRY=<url> naming an npm registry that holds it (the public one does not yet)';
  const root = fakeCheckout(['registry']);
  assert.equal(installHint('library', path.join(root, 'packages', 'core', 'dist', 'backends')), install);
  assert.equal(installHint('library', processTempDir('install-hint-none-')), install);
  const installed = path.join(fakeCheckout(['library']), 'node_modules', '@sregistry', 'core', 'dist');
  fs.mkdirSync(installed, { recursive: true });
  assert.equal(installHint('library', installed), install);
  assert.match(installHint('nosuch'), /install a plugin that provides it/);
});
