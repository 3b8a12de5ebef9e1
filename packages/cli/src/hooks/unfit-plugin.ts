import type { Hook } from '@oclif/core';
import { brokenCommandError, coreMismatch, errorJson, errorLine, jsonText, type UserError, unfitCommandError } from '@sregistry/core';

/**
 * Before oclif loads a command's file: a command of a plugin made for another core is refused in one line (exit 1,
 * or the JSON error envelope under --json), so none of the plugin's code runs (see src/unfit-plugins.ts). A command
 * of an installed or linked plugin whose file throws when loaded is refused the same way, naming the plugin and
 * its fix (src/broken-plugin-commands.ts), instead of oclif's bare "Error: …".
 */
const hook: Hook.Init = async function ({ id, argv, config }) {
  const command = id ? config.findCommand(id) : undefined;
  const plugin = command?.pluginName ? config.plugins.get(command.pluginName) : undefined;
  if (!command || !plugin) return;
  const mismatch = coreMismatch(plugin.pjson?.peerDependencies);
  let error: UserError | undefined;
  if (mismatch) error = unfitCommandError(command.id, plugin, mismatch);
  else if (plugin.type === 'user' || plugin.type === 'link') {
    try {
      // oclif loads it next anyway (from Node's module cache then); a failure here is the plugin's, said so
      await command.load();
    } catch (cause) {
      error = brokenCommandError(command.id, { name: plugin.name, type: plugin.type, root: plugin.root }, cause);
    }
  }
  if (!error) return;
  const words = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : undefined);
  if (words.includes('--json')) {
    process.stdout.write(`${jsonText(errorJson(error.message, { fix: error.fix, code: error.code, exitCode: error.exitCode }))}\n`);
  } else process.stderr.write(`ERROR ${errorLine(error)}\n`);
  this.exit(error.exitCode);
};

export default hook;
