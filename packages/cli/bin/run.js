#!/usr/bin/env node
// `sregistry --version` prints the bare version, as the original client did, without loading oclif.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`${require('../package.json').version}\n`);
} else {
  require('@oclif/core').execute({ dir: __dirname });
}
