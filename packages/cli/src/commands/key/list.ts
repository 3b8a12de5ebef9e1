import { hostCore, SregistryCommand } from '@sregistry/core/command';

export default class KeyList extends SregistryCommand {
  static override summary = 'List the keys of the local keyring (format, fingerprint or keyid, identity, algorithm).';

  async run() {
    await this.parse(KeyList);
    return hostCore().listKeys(this.session);
  }
}
