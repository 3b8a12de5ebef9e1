import { hostCore, SregistryCommand } from '@sregistry/core/command';

export default class BackendDeactivate extends SregistryCommand {
  static override summary = 'Forget the default backend (hub is used unless SREGISTRY_CLIENT or a URI scheme says otherwise).';

  async run() {
    await this.parse(BackendDeactivate);
    return hostCore().deactivateBackend(this.session);
  }
}
