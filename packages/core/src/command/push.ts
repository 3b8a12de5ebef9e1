// `push`, defined once for every backend that can push. Each plugin whose backend can push registers a subclass
// of PushCommand as its `push` command, so whichever copy oclif loads, the image goes to the backend the URI
// scheme (or the active backend) chooses.
import { Args, Flags } from '@oclif/core';
import { SregistryCommand } from './base';
import { hostCore } from './host-core';

export class PushCommand extends SregistryCommand {
  static override summary = 'Push an image file to a remote backend.';
  static override description =
    'The backend comes from the scheme of --name (registry://, oras://, …), else SREGISTRY_CLIENT, else the secrets file. ' +
    'The local database is not changed.';
  static override args = { file: Args.string({ required: true, description: 'image file (SIF) to upload' }) };
  static override flags = {
    name: Flags.string({ required: true, description: '[<scheme>://][host/]collection/name[:tag]' }),
    tag: Flags.string({ description: 'tag to use instead of the one in --name' }),
  };
  static override examples = [
    '<%= config.bin %> push tacos.sif --name registry://vanessa/tacos:latest',
    '<%= config.bin %> push tacos.sif --name vanessa/tacos --tag v2',
  ];

  async run() {
    // this class's own statics: oclif's parse copies a command's own properties only, not a subclass's inherited ones
    const { args, flags } = await this.parse(PushCommand);
    return hostCore().pushImage(this.session, { file: args.file, name: flags.name, tag: flags.tag, signal: this.signal });
  }
}
