import { Args, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class Search extends SregistryCommand {
  static override summary = 'Search a remote backend: everything, collection/, collection/name[:tag] or /name.';
  static override description =
    "With the oras plugin, oras://<host>/ lists the registry's repositories and oras://<host>/<repository> its tags; " +
    'with the library plugin, library://<text> searches the Library API.';
  static override strict = false;
  static override args = { query: Args.string({ ignoreStdin: true, description: 'what to look for (repeatable); none lists everything' }) };
  static override examples = [
    '<%= config.bin %> search',
    '<%= config.bin %> search vanessa/',
    '<%= config.bin %> search registry://vanessa/tacos:latest',
    '<%= config.bin %> search oras://ghcr.io/org/image',
  ];

  async run() {
    const { argv } = await this.parse(Search);
    return hostCore().searchRemote(this.session, argv as string[]);
  }
}
