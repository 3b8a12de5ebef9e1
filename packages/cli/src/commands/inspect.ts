import { Args, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class Inspect extends SregistryCommand {
  static override summary = 'Show the database record of an image and what its SIF file says (labels, definition, partitions).';
  static override description = 'Given the path of an image file instead, shows what the file says (its object groups for sign --group).';
  static override args = { uri: Args.string({ required: true, description: 'collection/name[:tag][@version], or an image file' }) };

  async run() {
    const { args } = await this.parse(Inspect);
    return hostCore().inspectRecord(this.session, args.uri);
  }
}
