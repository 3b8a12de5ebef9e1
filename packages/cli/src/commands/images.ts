import { Args, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class Images extends SregistryCommand {
  static override summary = 'List images in the local database.';
  static override description =
    'With queries, lists the images whose name equals a query or whose name, tag or uri contains it; one listing per query.';
  static override strict = false;
  static override args = { query: Args.string({ ignoreStdin: true, description: 'text to look for (repeatable)' }) };
  static override examples = ['<%= config.bin %> images', '<%= config.bin %> images vsoch tacos'];

  async run() {
    const { argv } = await this.parse(Images);
    return hostCore().showImages(this.session, argv as string[]);
  }
}
