// `delete`, defined once for every backend that can delete (see push.ts for why): asks first unless --force,
// then the backend the URI scheme (or the active backend) chooses deletes the image. The local database is not
// changed.
import { Args, Flags } from '@oclif/core';
import { UserError } from '../errors';
import { SregistryCommand } from './base';
import { confirm } from './confirm';
import { hostCore } from './host-core';

export class DeleteCommand extends SregistryCommand {
  static override summary = 'Delete an image from a remote backend (asks first unless --force).';
  static override description =
    'The backend comes from the URI scheme (registry://, oras://, …), else SREGISTRY_CLIENT, else the secrets file. ' +
    'The local database is not changed.';
  static override args = { uri: Args.string({ required: true, description: '[<scheme>://][host/]collection/name[:tag][@version]' }) };
  static override flags = {
    force: Flags.boolean({ char: 'f', description: 'do not ask for confirmation' }),
    arch: Flags.string({
      description: 'architecture whose image to delete (amd64, arm64, …) where the service keeps one per architecture (library://)',
    }),
  };

  async run() {
    // this class's own statics: oclif's parse copies a command's own properties only, not a subclass's inherited ones
    const { args, flags } = await this.parse(DeleteCommand);
    if (!flags.force) {
      // no question about an image that is not there
      await hostCore().findRemote(this.session, args.uri, { arch: flags.arch });
      const answer = await confirm(`Are you sure you want to remove ${args.uri}?`);
      if (answer === 'no-terminal') {
        throw new UserError(`refusing to delete ${args.uri} without confirmation (no terminal to ask)`, { fix: 'pass --force' });
      }
      if (answer === 'no') {
        this.session.out.result('Delete cancelled.');
        return { uri: args.uri, deleted: false };
      }
    }
    return { ...(await hostCore().deleteRemote(this.session, args.uri, { arch: flags.arch })), deleted: true };
  }
}
