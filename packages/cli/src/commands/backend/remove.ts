import { Args, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class BackendRemove extends SregistryCommand {
  static override summary = 'Remove one setting of a backend from the secrets file.';
  static override aliases = ['backend:rm'];
  static override args = {
    backend: Args.string({ required: true, description: 'backend name, e.g. registry' }),
    variable: Args.string({ required: true, description: 'setting to remove, e.g. token' }),
  };

  async run() {
    const { args } = await this.parse(BackendRemove);
    return hostCore().removeBackendSetting(this.session, args.backend, args.variable);
  }
}
