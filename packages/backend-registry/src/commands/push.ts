import { hostCommandApi } from '../host';

const { Args, Flags, SregistryCommand, hostCore } = hostCommandApi();

export default class Push extends SregistryCommand {
  static override summary = 'Push an image file to a Singularity Registry Server.';
  static override args = { file: Args.string({ required: true, description: 'image file (SIF) to upload' }) };
  static override flags = {
    name: Flags.string({ required: true, description: '[registry://][host/]collection/name[:tag]' }),
    tag: Flags.string({ description: 'tag to use instead of the one in --name' }),
  };
  static override examples = [
    '<%= config.bin %> push tacos.sif --name vanessa/tacos:latest',
    '<%= config.bin %> push tacos.sif --name registry://registry.example.org/vanessa/tacos --tag v2',
  ];

  async run() {
    const { args, flags } = await this.parse(Push);
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    try {
      return await hostCore().pushImage(this.session, { file: args.file, name: flags.name, tag: flags.tag, signal: abort.signal });
    } finally {
      process.off('SIGINT', stop);
    }
  }
}
