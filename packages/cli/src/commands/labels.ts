import { Flags, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class Labels extends SregistryCommand {
  static override summary = 'Search the labels of a remote backend by key and/or value.';
  static override flags = {
    key: Flags.string({ char: 'k', description: 'label key' }),
    value: Flags.string({ char: 'v', description: 'label value' }),
  };

  async run() {
    const { flags } = await this.parse(Labels);
    return hostCore().searchLabels(this.session, { key: flags.key, value: flags.value });
  }
}
