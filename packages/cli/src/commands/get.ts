import { Args, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class Get extends SregistryCommand {
  static override summary = 'Print the path of an image in the local database.';
  static override args = { uri: Args.string({ required: true, description: 'collection/name[:tag][@version]' }) };
  static override examples = ['singularity run $(<%= config.bin %> get vsoch/hello-world)'];

  async run() {
    const { args } = await this.parse(Get);
    return hostCore().getImage(this.session, args.uri);
  }
}
