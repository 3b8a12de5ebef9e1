import { SregistryCommand } from '@sregistry/core/command';

export default class Version extends SregistryCommand {
  static override summary = 'Print the version of sregistry.';

  async run() {
    await this.parse(Version);
    this.session.out.result(this.config.version);
    return { version: this.config.version, core: require('@sregistry/core/package.json').version, node: process.version };
  }
}
