import { chooseTarget, originOf } from '../../client';
import { hostCommandApi } from '../../host';

const { Flags, SregistryCommand } = hostCommandApi();

/** Reads the token from standard input (never from an argument, where `ps` and shell history see it). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

export default class LibraryLogin extends SregistryCommand {
  static override summary = "Store a Library API token (read from standard input) in the secrets file's library section.";
  static override description =
    'The token is sent as a Bearer token to the library (SREGISTRY_LIBRARY_BASE, else the active remote of ' +
    '~/.apptainer/remote.yaml). The secrets file is rewritten atomically with mode 0600.';
  static override flags = {
    base: Flags.string({ description: 'also store the library address (SREGISTRY_LIBRARY_BASE)' }),
  };
  static override examples = [
    'echo "$TOKEN" | <%= config.bin %> library login',
    'echo "$TOKEN" | <%= config.bin %> library login --base https://registry.example.org',
  ];

  async run() {
    const { flags } = await this.parse(LibraryLogin);
    const { UserError } = hostCommandApi().backendHost();
    if (process.stdin.isTTY) {
      throw new UserError('the token is read from standard input', { fix: 'echo "$TOKEN" | sregistry library login', code: 'EUSAGE' });
    }
    const token = await readStdin();
    if (!token) throw new UserError('no token on standard input', { fix: 'pipe the token into the command', code: 'EUSAGE' });
    if (/\s/.test(token))
      throw new UserError('the token on standard input has white space inside it', { fix: 'pipe the token alone', code: 'EUSAGE' });
    const base = flags.base?.trim().replace(/\/+$/, '');
    if (base !== undefined && !/^https?:\/\/[^/\s]+/i.test(base)) {
      throw new UserError(`--base is not an http(s) address`, { fix: 'for example --base https://library.sylabs.io', code: 'EUSAGE' });
    }
    // the token goes only to this host later (client.ts chooseTarget), whatever base a later command is given
    const tokenHost = originOf(base ?? this.currentLibrary());
    const secrets = this.session.secrets;
    await secrets.update((data) => {
      const section = (data.library && typeof data.library === 'object' ? data.library : {}) as Record<string, string>;
      section.SREGISTRY_LIBRARY_TOKEN = token;
      if (base) section.SREGISTRY_LIBRARY_BASE = base;
      if (tokenHost) section.SREGISTRY_LIBRARY_LOGIN_HOST = tokenHost;
      else delete section.SREGISTRY_LIBRARY_LOGIN_HOST;
      data.library = section;
    });
    this.session.out.result(`Token saved in ${secrets.file} (library section${tokenHost ? `, for ${tokenHost}` : ''})`);
    return { file: secrets.file, base, host: tokenHost };
  }

  /** The library commands talk to now (SREGISTRY_LIBRARY_BASE, the active remote, Sylabs Cloud). */
  private currentLibrary(): string {
    const host = hostCommandApi().backendHost();
    const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined };
    return chooseTarget(host, { settings: this.session.settingsFor('library'), log: quiet }, undefined).url;
  }
}
