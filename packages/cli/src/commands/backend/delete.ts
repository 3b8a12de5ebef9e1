import { Args, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class BackendDelete extends SregistryCommand {
  static override summary = "Remove a backend's whole section from the secrets file.";
  static override args = { backend: Args.string({ required: true, description: 'backend whose section to remove, e.g. registry' }) };

  async run() {
    const { args } = await this.parse(BackendDelete);
    return hostCore().deleteBackendSection(this.session, args.backend);
  }
}
