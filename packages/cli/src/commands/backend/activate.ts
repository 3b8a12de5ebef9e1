import { Args, Flags, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class BackendActivate extends SregistryCommand {
  static override summary = 'Make a backend the default (stored as SREGISTRY_CLIENT in the secrets file).';
  static override args = { backend: Args.string({ required: true, description: 'backend name, e.g. registry' }) };
  static override flags = { force: Flags.boolean({ char: 'f', description: 'activate a backend that is not installed (yet)' }) };

  async run() {
    const { args, flags } = await this.parse(BackendActivate);
    return hostCore().activateBackend(this.session, args.backend, flags.force);
  }
}
