import { Command } from '@oclif/core';

// oclif's plugins plugin lists with a bare `plugins`; `ls` is how every other list here is spelled (backend ls),
// so `plugins ls` is the same command under that name.
export default class PluginsLs extends Command {
  static override summary = 'List installed plugins (the same as: sregistry plugins).';
  static override strict = false;
  static override examples = ['<%= config.bin %> plugins ls', '<%= config.bin %> plugins ls --core'];

  async run(): Promise<unknown> {
    return this.config.runCommand('plugins', this.argv);
  }
}
