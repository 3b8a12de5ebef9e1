import { Args, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class KeyRemove extends SregistryCommand {
  static override summary = 'Remove a key from the local keyring.';
  static override args = { id: Args.string({ required: true, description: 'OpenPGP fingerprint or key id, or DSSE keyid (SHA256:…)' }) };

  async run() {
    const { args } = await this.parse(KeyRemove);
    return hostCore().removeKey(this.session, args.id);
  }
}
