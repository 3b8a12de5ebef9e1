import type { Hook } from '@oclif/core';
import SregistryHelp from '../help';
import { helpDocument } from '../help-json';

/**
 * `sregistry backend --json`: oclif shows a topic's help without the flags it was given, so --json would print the
 * text page; the topic's document is printed here instead, as `help backend --json` prints it.
 */
const hook: Hook.Init = async ({ id, argv, config }) => {
  if (!id || config.findCommand(id) || !config.findTopic(id)) return;
  const words = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : undefined);
  if (!words.includes('--json')) return;
  const document = helpDocument(config, id.split(':'), new SregistryHelp(config).render);
  if (document === undefined) return;
  process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  // oclif takes a hook's exit(0) for "go on", and would print the text page after the document
  process.exit(0);
};

export default hook;
