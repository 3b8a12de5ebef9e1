import { Args, Flags, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class Rmi extends SregistryCommand {
  static override summary = 'Remove an image record and its file.';
  static override args = { uri: Args.string({ required: true, description: 'collection/name[:tag][@version]' }) };
  static override flags = {
    force: Flags.boolean({ char: 'f', description: "delete the file even when it is no longer the image's bytes" }),
  };

  async run() {
    const { args, flags } = await this.parse(Rmi);
    return hostCore().removeImage(this.session, args.uri, { deleteFile: true, force: flags.force });
  }
}
