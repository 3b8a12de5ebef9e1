import { hostCore, SregistryCommand } from '@sregistry/core/command';

export default class BackendStatus extends SregistryCommand {
  static override summary = 'Show how many backends the secrets file configures and which one is active.';

  async run() {
    await this.parse(BackendStatus);
    return hostCore().backendStatus(this.session);
  }
}
