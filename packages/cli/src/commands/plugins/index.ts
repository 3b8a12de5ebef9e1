import type { Command } from '@oclif/core';
import { pluginsCommand } from '../../plugins-commands';

/** One plugin as `plugins --json` lists it: what the text form shows of it. */
interface ListedPlugin {
  name: string;
  version: string;
  type: string;
  root: string;
}

// plugin-plugins' own --json answer is every plugin's internal object (package.json, every command's flags,
// the CLI itself included): about 160 KB for an empty list
export default class PluginsIndex extends pluginsCommand('plugins') {
  override async run(): Promise<unknown> {
    if (!this.jsonEnabled()) return super.run();
    const { flags } = await this.parse(PluginsIndex as unknown as typeof Command);
    const listed: ListedPlugin[] = this.config
      .getPluginsList()
      .filter((p) => !p.parent && (flags.core || (p.type !== 'core' && p.type !== 'dev')))
      .map((p) => ({ name: p.name, version: p.version, type: p.type, root: p.root }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return listed;
  }
}
