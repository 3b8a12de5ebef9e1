import { OciClient } from '../../client';
import { registryArgument, updateLogin } from '../../credentials';
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

/** host[:port]: a DNS name or IPv4 address, or an IPv6 one in brackets; no path, no white space. */
const REGISTRY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::\d{1,5})?$/;

export default class OrasLogin extends SregistryCommand {
  static override summary = 'Log in to an OCI registry: checks the login with it, then stores it in the Docker config.';
  static override description =
    'The registry is asked first (GET /v2/, with Basic auth or its token service, as docker login does): a wrong ' +
    'password is refused and saves nothing. The login goes into $DOCKER_CONFIG/config.json, else ~/.docker/config.json, ' +
    'rewritten atomically with mode 0600; its other entries are kept. When that file names a credential helper for ' +
    'the registry (credHelpers, else credsStore), the login is stored by docker-credential-<name> instead, as docker does.';
  static override args = { registry: Args.string({ required: true, description: 'registry host[:port], e.g. ghcr.io' }) };
  static override flags = {
    username: Flags.string({ char: 'u', required: true, description: 'user name' }),
    'password-stdin': Flags.boolean({ description: 'read the password (or token) from standard input' }),
  };
  static override examples = ['echo "$TOKEN" | <%= config.bin %> oras login ghcr.io --username me --password-stdin'];

  async run() {
    const { args, flags } = await this.parse(OrasLogin);
    const host = commandHost();
    const registry = registryArgument(args.registry);
    if (!REGISTRY.test(registry)) {
      throw new host.UserError(`"${host.printable(registry, { max: 80 })}" is not a registry host[:port]`, {
        fix: 'name the registry alone, for example: sregistry oras login ghcr.io --username me --password-stdin',
        code: 'EUSAGE',
      });
    }
    if (flags.username.trim() === '') {
      throw new host.UserError('the user name is empty', {
        fix: `give the user name the registry knows: sregistry oras login ${registry} --username <name> --password-stdin`,
        code: 'EUSAGE',
      });
    }
    if (flags.username.includes(':')) {
      throw new host.UserError('the user name contains ":"', {
        fix: 'give the user name the registry knows (a Docker login cannot hold one with ":")',
        code: 'EUSAGE',
      });
    }
    if (!flags['password-stdin']) {
      throw new host.UserError('the password is read from standard input only', {
        fix: `echo "$PASSWORD" | sregistry oras login ${registry} --username ${flags.username} --password-stdin`,
        code: 'EUSAGE',
      });
    }
    const password = await readStdin();
    if (!password)
      throw new host.UserError('no password on standard input', { fix: 'pipe the password or token into the command', code: 'EUSAGE' });
    // checked with the registry before it is saved, as docker login does: a wrong password replaces nothing
    const login = { username: flags.username, password, source: 'standard input' };
    const settings = { settings: this.session.settingsFor('oras'), log: this.session.logger() };
    await new OciClient(host, settings, registry, process.env, login).checkLogin();
    const { file, helper } = await updateLogin(host, registry, { username: flags.username, password });
    this.session.out.result(`Login Succeeded (${registry}, saved ${helper ? `by ${helper}, named in` : 'in'} ${file})`);
    return { registry, username: flags.username, file, ...(helper ? { helper } : {}) };
  }
}
