import { Args, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class Rm extends SregistryCommand {
  static override summary = 'Remove an image record from the database; the file is kept (use rmi to delete it too).';
  static override args = { uri: Args.string({ required: true, description: 'collection/name[:tag][@version]' }) };

  async run() {
    const { args } = await this.parse(Rm);
    return hostCore().removeImage(this.session, args.uri, { deleteFile: false });
  }
}
