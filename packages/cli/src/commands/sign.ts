import { Args, Flags, hostCore, positiveInteger, SregistryCommand } from '@sregistry/core/command';

export default class Sign extends SregistryCommand {
  static override summary = 'Sign an image with an OpenPGP private key (clear-signed) or a PEM private key (DSSE), as Apptainer does.';
  static override description =
    'Adds one signature per object group (all groups unless --group) and replaces the file atomically. A locked ' +
    'OpenPGP key asks for its passphrase on the terminal, or reads a line of stdin (one per locked key, in --key order). A catalogued ' +
    "image's record follows: a version that was the file's SHA-256 becomes the signed file's.";
  static override args = {
    image: Args.string({ required: true, description: 'image file, or collection/name[:tag][@version] of a catalogued image' }),
  };
  static override flags = {
    key: Flags.string({
      char: 'k',
      required: true,
      multiple: true,
      description: 'private key file: OpenPGP (armored or binary) or PEM; repeatable',
    }),
    group: positiveInteger({ char: 'g', multiple: true, description: 'sign only this object group; repeatable' }),
    'rsa-pss': Flags.boolean({ description: 'RSA PEM keys sign with PSS instead of PKCS#1 v1.5' }),
  };
  static override examples = [
    '<%= config.bin %> sign image.sif --key private.asc',
    '<%= config.bin %> sign vsoch/hello-world --key ed25519-private.pem',
  ];

  async run() {
    const { args, flags } = await this.parse(Sign);
    return hostCore().signImage(this.session, {
      target: args.image,
      keyFiles: flags.key,
      groups: flags.group,
      rsaPss: flags['rsa-pss'],
      signal: this.signal,
    });
  }
}
