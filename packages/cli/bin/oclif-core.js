// Makes `require('@oclif/core')` (bin/run.js, the commands, core's command base, the help class, plugins that resolve
// the same @oclif/core) answer with dist/oclif-bundle.js: oclif as one file instead of ~150 modules
// (scripts/bundle-oclif.js says why). Only when the bundle was made from the installed version; otherwise, and
// when there is no bundle (sources run through tsx), oclif loads as it always did.
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

const BUNDLE = path.join(__dirname, '..', 'dist', 'oclif-bundle.js');

function useOclifBundle() {
  let entry;
  let version;
  try {
    entry = require.resolve('@oclif/core');
    version = JSON.parse(fs.readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')).version;
  } catch {
    return false;
  }
  if (require.cache[entry] || !fs.existsSync(BUNDLE)) return false;
  const bundle = require(BUNDLE);
  if (bundle.__bundledVersion !== version) return false;
  // an entry in require's cache under @oclif/core's own file name: require() and import() from ESM plugins find it
  const mod = new Module(entry, module);
  mod.filename = entry;
  mod.paths = Module._nodeModulePaths(path.dirname(entry));
  mod.exports = bundle;
  mod.loaded = true;
  require.cache[entry] = mod;
  return true;
}

module.exports = { useOclifBundle };
