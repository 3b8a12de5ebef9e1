import { updateLogin } from '../../credentials';
import { commandHost, hostCommandApi } from '../../host';

const { Args, Flags, SregistryCommand } = hostCommandApi();

/** Reads the password from standard input (never from an argument, where `ps` and shell history see it). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export default class OrasLogin extends SregistryCommand {
  static override summary = 'Log in to an OCI registry: stores the login in the Docker config (~/.docker/config.json).';
  static override args = { registry: Args.string({ required: true, description: 'registry host[:port], e.g. ghcr.io' }) };
  static override flags = {
    username: Flags.string({ char: 'u', required: true, description: 'user name' }),
    'password-stdin': Flags.boolean({ description: 'read the password (or token) from standard input' }),
  };
  static override examples = ['echo "$TOKEN" | <%= config.bin %> oras login ghcr.io --username me --password-stdin'];

  async run() {
    const { args, flags } = await this.parse(OrasLogin);
    const host = commandHost();
    const registry = args.registry.replace(/^(oras|https?):\/\//, '').replace(/\/+$/, '');
    if (!flags['password-stdin']) {
      throw new host.UserError('the password is read from standard input only', {
        fix: `echo "$PASSWORD" | sregistry oras login ${registry} --username ${flags.username} --password-stdin`,
        code: 'EUSAGE',
      });
    }
    const password = await readStdin();
    if (!password)
      throw new host.UserError('no password on standard input', { fix: 'pipe the password or token into the command', code: 'EUSAGE' });
    const { file } = await updateLogin(host, registry, { username: flags.username, password });
    this.session.out.result(`Login Succeeded (${registry}, saved in ${file})`);
    return { registry, username: flags.username, file };
  }
}
