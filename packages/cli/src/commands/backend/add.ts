import { Args, Flags, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class BackendAdd extends SregistryCommand {
  static override summary = 'Store a setting for a backend in the secrets file (named SREGISTRY_<BACKEND>_<VARIABLE>).';
  static override args = {
    backend: Args.string({ required: true, description: 'backend name, e.g. registry' }),
    variable: Args.string({ required: true, description: 'e.g. base, username, token' }),
    value: Args.string({ required: true, description: 'the value to store' }),
  };
  static override flags = {
    force: Flags.boolean({ char: 'f', description: 'replace an existing value, or store a setting the backend does not declare' }),
  };
  static override examples = ['<%= config.bin %> backend add registry base https://registry.example.org'];

  async run() {
    const { args, flags } = await this.parse(BackendAdd);
    return hostCore().addBackendSetting(this.session, args.backend, args.variable, args.value, flags.force);
  }
}
