import type { Hook } from '@oclif/core';

// Commands that a first-party plugin contributes, so a missing one is an install hint, not "not found".
const PROVIDED_BY: Record<string, string> = {
  push: '@sregistry/backend-registry',
  delete: '@sregistry/backend-registry',
};

const hook: Hook.CommandNotFound = async function (options) {
  const command = options.id.split(/[: ]/)[0];
  const plugin = PROVIDED_BY[command];
  // Same one-line shape as every other error (ERROR <problem>; <fix>).
  if (plugin) {
    process.stderr.write(
      `ERROR "${command}" comes with the ${plugin} plugin, which is not installed; run: sregistry plugins install ${plugin}\n`,
    );
    this.exit(1);
  }
  process.stderr.write(`ERROR command ${command} not found; see: sregistry --help\n`);
  this.exit(2);
};

export default hook;
