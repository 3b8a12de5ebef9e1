import { Args, Flags, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class Mv extends SregistryCommand {
  static override summary = "Move an image's file to another path and update its record.";
  static override args = {
    uri: Args.string({ required: true, description: 'collection/name[:tag][@version]' }),
    path: Args.string({ required: true, description: 'an existing folder, or a file path whose folder exists' }),
  };
  static override flags = {
    force: Flags.boolean({ char: 'f', description: 'replace an existing file that is not an image of the catalogue' }),
  };

  async run() {
    const { args, flags } = await this.parse(Mv);
    return hostCore().moveImage(this.session, args.uri, args.path, { force: flags.force, signal: this.signal });
  }
}
