#!/usr/bin/env node
// `sregistry --version` prints the bare version, as the original client did, without loading oclif.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`${require('../package.json').version}\n`);
} else {
  // Linked plugins run from their built dist/ like installed ones: oclif's default would load tsx and
  // transpile their TypeScript sources on every command (~0.4 s and ~50 MB each time).
  globalThis.oclif = { ...(globalThis.oclif ?? {}), enableAutoTranspile: false };
  require('@oclif/core').execute({ dir: __dirname });
}
