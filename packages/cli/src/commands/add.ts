import { Args, Flags, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class Add extends SregistryCommand {
  static override summary = 'Add a local image file to the database (moved into storage, or copied with --copy).';
  static override args = { file: Args.string({ required: true, description: 'image file (SIF)' }) };
  static override flags = {
    name: Flags.string({ required: true, description: 'image uri: collection/name[:tag][@version]' }),
    copy: Flags.boolean({ description: 'copy the file instead of moving it' }),
    force: Flags.boolean({ char: 'f', description: 'replace a file found at its storage path that no catalogued image owns' }),
  };
  static override examples = ['<%= config.bin %> add hello.sif --name vsoch/hello-world:v1 --copy'];

  async run() {
    const { args, flags } = await this.parse(Add);
    return hostCore().addImage(this.session, {
      file: args.file,
      name: flags.name,
      copy: flags.copy,
      force: flags.force,
      signal: this.signal,
    });
  }
}
