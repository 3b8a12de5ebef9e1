#!/usr/bin/env node
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  // the bare version, as the original client printed it, without loading oclif
  process.stdout.write(`${require('../package.json').version}\n`);
} else {
  // `images`, `get` and `inspect` in their plain forms skip oclif (see src/fast-path.ts); all else runs through it
  const fast = ['images', 'get', 'inspect'].includes(args[0]) ? require('../dist/fast-path').runFast(args) : Promise.resolve(false);
  fast.then((done) => {
    if (done) return;
    // Linked plugins run from their built dist/ like installed ones: oclif's default would load tsx and
    // transpile their TypeScript sources on every command (~0.4 s and ~50 MB each time).
    globalThis.oclif = { ...(globalThis.oclif ?? {}), enableAutoTranspile: false };
    return require('@oclif/core').execute({ dir: __dirname });
  });
}
