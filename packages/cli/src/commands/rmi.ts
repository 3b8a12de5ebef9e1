import { Args, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class Rmi extends SregistryCommand {
  static override summary = 'Remove an image record and its file.';
  static override args = { uri: Args.string({ required: true, description: 'collection/name[:tag][@version]' }) };

  async run() {
    const { args } = await this.parse(Rmi);
    return hostCore().removeImage(this.session, args.uri, { deleteFile: true });
  }
}
