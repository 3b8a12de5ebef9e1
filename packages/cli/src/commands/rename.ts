import { Args, Flags, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class Rename extends SregistryCommand {
  static override summary = 'Give an image a new collection/name:tag (version kept); its file moves to the new storage path.';
  static override args = {
    uri: Args.string({ required: true, description: 'current collection/name[:tag][@version]' }),
    newUri: Args.string({ required: true, name: 'new-uri', description: 'new collection/name[:tag]' }),
  };
  static override flags = {
    force: Flags.boolean({ char: 'f', description: 'replace a file at the new storage path that is not an image of the catalogue' }),
  };

  async run() {
    const { args, flags } = await this.parse(Rename);
    return hostCore().renameImage(this.session, args.uri, args.newUri, { force: flags.force, signal: this.signal });
  }
}
