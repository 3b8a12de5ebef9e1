#!/usr/bin/env node
// A reader that stops early (`sregistry images | head`) is not an error: stop quietly instead of a stack trace.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});
// global flags before the command (`sregistry --quiet pull X`, as the original takes them) move behind it
const { asksForVersion, globalFlagsLast, helpWithJsonAsFlag } = require('../dist/global-flags');
const args = helpWithJsonAsFlag(globalFlagsLast(process.argv.slice(2)));
let prepared = false;
/**
 * What every command that loads more than the catalogue reader needs first, once: the compile cache, and the
 * plugins' core-range verdicts kept with the compiled code (src/range-verdicts.ts).
 */
function prepare() {
  if (prepared) return;
  prepared = true;
  const cache = cacheDir();
  require('./compile-cache').enableCompileCache(require('node:path').join(cache, 'compile-cache'));
  require('../dist/range-verdicts').keepRangeVerdicts(require('node:path').join(cache, 'core-ranges.json'));
}

if (asksForVersion(args)) {
  // the bare version, as the original client printed it, without loading oclif; under --json the document
  // `version --json` prints (src/commands/version.ts)
  const version = require('../package.json').version;
  const json = args.slice(0, args.includes('--') ? args.indexOf('--') : undefined).includes('--json');
  const document = { version, core: require('@sregistry/core/package.json').version, node: process.version };
  process.stdout.write(json ? `${JSON.stringify(document, null, 2)}\n` : `${version}\n`);
} else {
  // `images`, `get`, `inspect`, `pull`, `search` and `backend status` in their plain forms skip oclif (see
  // src/fast-path.ts); all else runs through it
  const fast =
    ['images', 'get', 'inspect', 'pull', 'search'].includes(args[0]) || (args[0] === 'backend' && args[1] === 'status')
      ? require('../dist/fast-path').runFast(args, prepare)
      : Promise.resolve(false);
  fast.then((done) => {
    if (done) return exitOnceFlushed();
    prepare();
    require('./oclif-core').useOclifBundle();
    // a plugin made for another core: none of its command files is loaded (src/unfit-plugins.ts)
    require('../dist/unfit-plugins').skipUnfitPluginCommands(require('@oclif/core'));
    // a plugin command whose file throws stays listed, without oclif's warning (src/broken-plugin-commands.ts)
    require('../dist/broken-plugin-commands').keepBrokenPluginCommands(require('@oclif/core'));
    // a linked plugin whose folder is gone: one line naming it, unless this unlinks it (src/missing-linked-plugins.ts)
    require('../dist/missing-linked-plugins').reportMissingLinkedPlugins(require('@oclif/core'), args);
    // Linked plugins run from their built dist/ like installed ones: oclif's default would load tsx and
    // transpile their TypeScript sources on every command (~0.4 s and ~50 MB each time).
    globalThis.oclif = { ...(globalThis.oclif ?? {}), enableAutoTranspile: false };
    // The CLI's root and package.json given, oclif neither searches upwards from bin/ for the root nor reads the
    // package.json again (about 5 ms of every command's start-up, `node --cpu-prof`).
    const root = require('node:path').join(__dirname, '..');
    return require('@oclif/core').execute({ args, loadOptions: { root, pjson: require('../package.json') } });
  });
}

/**
 * Ends the process once a command run here has finished (every step of it is awaited, so nothing of its work is
 * left) and what it printed is out. Waiting for Node's own exit instead costs 5-10 ms of every such command for
 * tearing down what nobody uses any more (the event loop's last turns, the thread pool, the heap).
 */
function exitOnceFlushed() {
  const pending = [process.stdout, process.stderr].filter((stream) => stream.writableLength > 0);
  Promise.all(pending.map((stream) => new Promise((resolve) => stream.once('drain', resolve)))).then(() => process.exit());
}

/** oclif's cache folder for this CLI: $SREGISTRY_CACHE_DIR, else $XDG_CACHE_HOME/sregistry, else ~/.cache/sregistry. */
function cacheDir() {
  const path = require('node:path');
  return (
    process.env.SREGISTRY_CACHE_DIR ||
    path.join(process.env.XDG_CACHE_HOME || path.join(require('node:os').homedir(), '.cache'), 'sregistry')
  );
}
