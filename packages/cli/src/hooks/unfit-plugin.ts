import type { Hook } from '@oclif/core';
import { coreMismatch, errorJson, errorLine, jsonText, unfitCommandError } from '@sregistry/core';

/**
 * Before oclif loads a command's file: a command of a plugin made for another core is refused in one line (exit 1,
 * or the JSON error envelope under --json), so none of the plugin's code runs (see src/unfit-plugins.ts).
 */
const hook: Hook.Init = async function ({ id, argv, config }) {
  const command = id ? config.findCommand(id) : undefined;
  const plugin = command?.pluginName ? config.plugins.get(command.pluginName) : undefined;
  if (!command || !plugin) return;
  const mismatch = coreMismatch(plugin.pjson?.peerDependencies);
  if (!mismatch) return;
  const error = unfitCommandError(command.id, plugin, mismatch);
  const words = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : undefined);
  if (words.includes('--json')) {
    process.stdout.write(`${jsonText(errorJson(error.message, { fix: error.fix, code: error.code, exitCode: error.exitCode }))}\n`);
  } else process.stderr.write(`ERROR ${errorLine(error)}\n`);
  this.exit(error.exitCode);
};

export default hook;
