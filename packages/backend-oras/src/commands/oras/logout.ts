import { registryArgument, updateLogin } from '../../credentials';
import { commandHost, hostCommandApi } from '../../host';

const { Args, SregistryCommand } = hostCommandApi();

export default class OrasLogout extends SregistryCommand {
  static override summary =
    'Remove the login for an OCI registry from the Docker config (and from its credential helper, when it names one).';
  static override args = { registry: Args.string({ required: true, description: 'registry host[:port]' }) };

  async run() {
    const { args } = await this.parse(OrasLogout);
    const registry = registryArgument(args.registry);
    const { file, changed, helper } = await updateLogin(commandHost(), registry, undefined);
    this.session.out.result(
      changed ? `Removed login credentials for ${registry} from ${helper ? `${helper} and ` : ''}${file}` : `Not logged in to ${registry}`,
    );
    return { registry, removed: changed, file, ...(helper ? { helper } : {}) };
  }
}
