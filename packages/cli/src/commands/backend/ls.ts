import { Args, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class BackendLs extends SregistryCommand {
  static override summary = 'List installed backends with their capabilities, or show one backend’s settings (secrets masked).';
  static override args = { backend: Args.string({ ignoreStdin: true, description: 'show the settings stored for this backend' }) };

  async run() {
    const { args } = await this.parse(BackendLs);
    const core = hostCore();
    return args.backend ? core.showBackend(this.session, args.backend) : core.listBackends(this.session);
  }
}
