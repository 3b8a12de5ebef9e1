import { Args, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class BackendActivate extends SregistryCommand {
  static override summary = 'Make a backend the default (stored as SREGISTRY_CLIENT in the secrets file).';
  static override args = { backend: Args.string({ required: true, description: 'backend name, e.g. registry' }) };

  async run() {
    const { args } = await this.parse(BackendActivate);
    return hostCore().activateBackend(this.session, args.backend);
  }
}
