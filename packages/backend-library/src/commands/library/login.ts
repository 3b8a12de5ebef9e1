import { CONTROL, chooseTarget, isHttpUrl, LibraryClient, originOf, type Target } from '../../client';
import { hostCommandApi } from '../../host';
import { checkToken } from '../../token-check';

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
    'The token is checked with the library first (GET /v1/token-status, as apptainer remote login does): a refused ' +
    'token, or a library that cannot be reached, saves nothing. It is sent as a Bearer token to that library ' +
    '(--base, else SREGISTRY_LIBRARY_BASE, else the active remote of ~/.apptainer/remote.yaml) and to no other. ' +
    'The secrets file is rewritten atomically with mode 0600.';
  static override flags = {
    base: Flags.string({ description: 'also store the library address (SREGISTRY_LIBRARY_BASE)' }),
    'no-check': Flags.boolean({ description: 'save the token without asking the library (offline, or a server that is down)' }),
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
    // the base is written to the secrets file and printed later: nothing but a plain http(s) URL
    if (base !== undefined && !isHttpUrl(base)) {
      throw new UserError(`--base is not an http(s) address${CONTROL.test(base) ? ' (it has control or white-space characters)' : ''}`, {
        fix: 'for example --base https://library.sylabs.io',
        code: 'EUSAGE',
      });
    }
    const target: Target = base ? { url: base, source: '--base' } : this.currentLibrary();
    // the token goes only to this host later (client.ts chooseTarget), whatever base a later command is given
    const tokenHost = originOf(target.url);
    const checked = flags['no-check'] ? undefined : await this.check({ ...target, token });
    if (checked && !checked.checked) this.session.out.warn(`the token could not be checked: ${checked.why}; it is saved unchecked`);
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
    return { file: secrets.file, base, host: tokenHost, checked: checked?.checked ?? false };
  }

  /** The library commands talk to now (SREGISTRY_LIBRARY_BASE, the active remote, Sylabs Cloud). */
  private currentLibrary(): Target {
    const host = hostCommandApi().backendHost();
    const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined };
    return chooseTarget(host, { settings: this.session.settingsFor('library'), log: quiet }, undefined);
  }

  /** Asks the library about the token; a failure to ask (unreachable, not a library) saves nothing either. */
  private async check(target: Target) {
    const host = hostCommandApi().backendHost();
    const client = new LibraryClient(host, { settings: this.session.settingsFor('library'), log: this.session.logger() }, target);
    try {
      return await checkToken(host, client);
    } catch (error) {
      if (!host.isUserError(error) || error.code === 'ECANCELLED') throw error;
      // a refused token is not worth saving; a library that could not answer may be down only for now
      const fix =
        error.code === 'ETOKEN'
          ? error.fix
          : `${error.fix ?? 'run with --debug to see the exchange'}; or save it unchecked with --no-check`;
      throw new host.UserError(`${error.message}; the token was not saved`, {
        fix,
        code: error.code,
        exitCode: error.exitCode,
        cause: error,
      });
    }
  }
}
