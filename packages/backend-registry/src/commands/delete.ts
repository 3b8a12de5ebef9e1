import { confirm } from '../confirm';
import { hostCommandApi } from '../host';

const { Args, Flags, SregistryCommand, hostCore } = hostCommandApi();

export default class Delete extends SregistryCommand {
  static override summary = 'Delete an image from a Singularity Registry Server (asks first unless --force).';
  static override args = { uri: Args.string({ required: true, description: '[registry://][host/]collection/name[:tag][@version]' }) };
  static override flags = { force: Flags.boolean({ char: 'f', description: 'do not ask for confirmation' }) };

  async run() {
    const { args, flags } = await this.parse(Delete);
    const core = hostCore();
    if (!flags.force) {
      const answer = await confirm(`Are you sure you want to remove ${args.uri}?`);
      if (answer === 'no-terminal') {
        throw new core.UserError(`refusing to delete ${args.uri} without confirmation (no terminal to ask)`, { fix: 'pass --force' });
      }
      if (answer === 'no') {
        this.session.out.result('Delete cancelled.');
        return { uri: args.uri, deleted: false };
      }
    }
    return { ...(await core.deleteRemote(this.session, args.uri)), deleted: true };
  }
}
