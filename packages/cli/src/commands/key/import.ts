import { Args, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class KeyImport extends SregistryCommand {
  static override summary = 'Keep public keys in the local keyring, so verify needs no --key.';
  static override description = 'OpenPGP keys (armored or binary) and PEM keys; of a private key only the public part is kept.';
  static override strict = false;
  static override args = { file: Args.string({ required: true, description: 'key file(s)' }) };
  static override examples = ['<%= config.bin %> key import pgp-public.asc ed25519-public.pem'];

  async run() {
    const { argv } = await this.parse(KeyImport);
    return hostCore().importKeys(this.session, argv as string[]);
  }
}
