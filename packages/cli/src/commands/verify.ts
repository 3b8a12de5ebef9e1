import { Args, Flags, hostCore, positiveInteger, SregistryCommand } from '@sregistry/core/command';

export default class Verify extends SregistryCommand {
  static override summary = 'Verify the signatures of an image (OpenPGP, DSSE; legacy with --legacy) without Apptainer.';
  static override description =
    'Every signature must verify with a --key file or a key of the local keyring (sregistry key import), and the ' +
    'signatures must cover every object of the groups asked for: all groups by default, or --group N / --object N. ' +
    'Exit 0 only then; otherwise one line says why (unsigned, tampered, unknown key, unsupported format).';
  static override args = {
    image: Args.string({ required: true, description: 'image file, or collection/name[:tag][@version] of a catalogued image' }),
  };
  static override flags = {
    key: Flags.string({ char: 'k', multiple: true, description: 'public key file: OpenPGP (armored or binary) or PEM (DSSE); repeatable' }),
    all: Flags.boolean({
      char: 'a',
      description: 'every group (the default); with --legacy, every object',
      exclusive: ['group', 'object'],
    }),
    group: positiveInteger({ char: 'g', description: 'only this object group', exclusive: ['all', 'object'] }),
    object: positiveInteger({
      char: 'i',
      description: 'only this object (its group signature may cover more)',
      exclusive: ['all', 'group'],
    }),
    legacy: Flags.boolean({ description: 'check legacy signatures (object data only, not the header or descriptors)' }),
  };
  static override examples = [
    '<%= config.bin %> verify image.sif --key pgp-public.asc',
    '<%= config.bin %> verify vsoch/hello-world:latest',
    '<%= config.bin %> verify image.sif --key ed25519-public.pem --group 1 --json',
  ];

  async run() {
    const { args, flags } = await this.parse(Verify);
    return hostCore().verifyImage(this.session, {
      target: args.image,
      keyFiles: flags.key,
      legacy: flags.legacy,
      selection: hostCore().verifySelection(flags),
      signal: this.signal,
    });
  }
}
