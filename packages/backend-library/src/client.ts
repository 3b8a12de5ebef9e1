// HTTP to one Library API server. Where it is: SREGISTRY_LIBRARY_BASE, else the active remote of Apptainer's
// remote.yaml, else Sylabs Cloud; a URI's own host wins over both. A web front end is followed to its library
// through `/assets/config/config.prod.json` (`libraryAPI.uri`), as `apptainer remote add` does. The token
// (SREGISTRY_LIBRARY_TOKEN, else the remote's) goes only to the server it was given for: a URI naming another
// host gets the token `library login` saved for that host, else that of a remote for it, or none. JSON calls go
// through the host's requestJson, which drops the Authorization header on a redirect to another origin.
import type { BackendContext } from '@sregistry/core';
import type { Host, JsonResponse } from './host';
import { readRemotes } from './remote-config';

/** SingularityCE's default remote; its front end names the library (library.sylabs.io). */
export const DEFAULT_REMOTE = 'https://cloud.sylabs.io';

export interface Target {
  /** the address given: a Library API or a web front end */
  url: string;
  token?: string;
  /** where the address and token came from, for debug lines and messages */
  source: string;
  /** the host a saved token is for, when it was not sent because this server is another one */
  withheldFor?: string;
  /** that token: sent after all when the address is a front end whose Library API is that very host */
  withheldToken?: string;
  /**
   * set when a host the URI names chose the server (not SREGISTRY_LIBRARY_BASE): SREGISTRY_LIBRARY_TOKEN never goes
   * there, so the fix for a missing token is a login saved for that host
   */
  namedByUri?: boolean;
  /** set when the https:// was ours (a host in the URI): the setting that makes it http, for a failed TLS handshake */
  plainHttpSetting?: string;
  /**
   * where the token came from, for the fix of a refused one: SREGISTRY_LIBRARY_TOKEN (the environment, else the
   * secrets file: told apart by the file's value) or an Apptainer remote
   */
  tokenFrom?: 'setting' | { remote: string; file: string };
}

type Settings = Pick<BackendContext, 'settings' | 'log'>;

/** Control, format (bidi) and white-space characters: never part of an address. */
export const CONTROL = /[\p{Cc}\p{Cf}\s]/u;

/** A plain http(s) URL with a host: what `library login --base` and SREGISTRY_LIBRARY_BASE must be. */
export function isHttpUrl(text: string): boolean {
  if (CONTROL.test(text)) return false;
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** The host part (host[:port], lower case) of an address: what a token is filed under. */
export function originOf(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Which server a command talks to, and with which token. A token from the secrets file goes only to the host it
 * was saved for (`sregistry library login` records it as SREGISTRY_LIBRARY_LOGIN_HOST; older files: the host of
 * the base saved beside it): a base set in the environment for one command must not receive it.
 */
export function chooseTarget(host: Host, ctx: Settings, uriHost: string | undefined): Target {
  const target = targetFor(host, ctx, uriHost);
  const savedFor = savedTokenHost(ctx);
  if (!target.token || !savedFor || target.token !== ctx.settings.fromSecretsFile?.('SREGISTRY_LIBRARY_TOKEN')?.trim()) return target;
  if (originOf(target.url) === savedFor) return target;
  ctx.log.debug(`library: the saved token is for ${savedFor}, so it is not sent to ${originOf(target.url) ?? target.url}`);
  // an Apptainer remote for this server may still have a token of its own
  return { ...targetFor(host, ctx, uriHost, false), withheldFor: savedFor, withheldToken: target.token };
}

/** The host the secrets file's token was saved for, if the file says. */
function savedTokenHost(ctx: Settings): string | undefined {
  const saved = ctx.settings.fromSecretsFile?.('SREGISTRY_LIBRARY_LOGIN_HOST')?.trim().toLowerCase();
  if (saved) return saved;
  const base = ctx.settings.fromSecretsFile?.('SREGISTRY_LIBRARY_BASE')?.trim();
  return base ? originOf(base) : undefined;
}

function targetFor(host: Host, ctx: Settings, uriHost: string | undefined, withToken = true): Target {
  const base = ctx.settings.get('SREGISTRY_LIBRARY_BASE')?.trim().replace(/\/+$/, '') || undefined;
  const token = withToken ? ctx.settings.get('SREGISTRY_LIBRARY_TOKEN')?.trim() || undefined : undefined;
  // the same rule as `library login --base`: a space or a control character would be sent as %20 and the server blamed
  if (base && !isHttpUrl(base)) {
    const why = CONTROL.test(base) ? ' (it has control or white-space characters)' : '';
    throw new host.UserError(`SREGISTRY_LIBRARY_BASE is not an http(s) address${why}: "${host.printable(base, { max: 120 })}"`, {
      fix: 'set it to the library address, e.g. https://library.sylabs.io or https://your-registry-server',
      code: 'ESETTING',
    });
  }
  const remotes = readRemotes(ctx.settings.get('HOME') ?? process.env.HOME, (m) => ctx.log.warn(m));
  if (uriHost) {
    const wanted = uriHost.toLowerCase();
    if (base && originOf(base) === wanted) return { url: base, token, source: 'SREGISTRY_LIBRARY_BASE', tokenFrom: 'setting' };
    // `library login` for this very host: its token (only the saved one; one set for a command is not for the URI's host)
    const saved =
      withToken && savedTokenHost(ctx) === wanted
        ? ctx.settings.fromSecretsFile?.('SREGISTRY_LIBRARY_TOKEN')?.trim() || undefined
        : undefined;
    const remote = remotes.all.find((r) => originOf(r.url) === wanted);
    if (remote) {
      return {
        url: remote.url,
        token: saved ?? remote.token,
        source: `remote ${remote.name} of ${remote.file}`,
        tokenFrom: saved ? 'setting' : { remote: remote.name, file: remote.file },
        namedByUri: true,
      };
    }
    const scheme = ctx.settings.getBoolean('SREGISTRY_LIBRARY_NOHTTPS') ? 'http' : 'https';
    return {
      url: `${scheme}://${uriHost}`,
      token: saved,
      source: saved ? 'the URI, with the token saved for it' : 'the URI',
      plainHttpSetting: 'SREGISTRY_LIBRARY_NOHTTPS',
      tokenFrom: 'setting',
      namedByUri: true,
    };
  }
  if (base) {
    const remote = remotes.all.find((r) => originOf(r.url) === originOf(base));
    const tokenFrom = token || !remote ? 'setting' : { remote: remote.name, file: remote.file };
    return { url: base, token: token ?? remote?.token, source: 'SREGISTRY_LIBRARY_BASE', tokenFrom };
  }
  const active = remotes.active;
  if (active) {
    const tokenFrom = token ? 'setting' : { remote: active.name, file: active.file };
    return { url: active.url, token: token ?? active.token, source: `remote ${active.name} of ${active.file}`, tokenFrom };
  }
  return { url: DEFAULT_REMOTE, token, source: 'the default remote', tokenFrom: 'setting' };
}

/**
 * The server's own words in an error answer, printable: the Library envelope `{"error": {code, message}}` (or an
 * `error` that is a bare string), a DRF `detail` or a plain `message`, the first of an `errors` list, else a short
 * body that is plain text (not a page).
 */
export function serverMessage(
  host: Host,
  answer: Pick<JsonResponse, 'data'> & Partial<Pick<JsonResponse, 'text' | 'isJson'>>,
): string | undefined {
  const data = answer.data as
    | { error?: unknown; message?: unknown; detail?: unknown; errors?: unknown; non_field_errors?: unknown }
    | undefined;
  const first = (list: unknown) => (Array.isArray(list) ? list[0] : undefined);
  const messageOf = (v: unknown) => (v && typeof v === 'object' ? (v as { message?: unknown }).message : v);
  const candidates =
    data && typeof data === 'object'
      ? [messageOf(data.error), data.message, data.detail, messageOf(first(data.errors)), first(data.non_field_errors)]
      : answer.isJson === false && answer.text && !/^\s*</.test(answer.text)
        ? [answer.text]
        : [];
  const text = candidates.find((t): t is string => typeof t === 'string' && t.trim() !== '');
  return text === undefined ? undefined : host.printable(text.trim(), { max: 160 });
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  json?: unknown;
  query?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

export class LibraryClient {
  private apiPromise?: Promise<string>;
  private versionPromise?: Promise<string | undefined>;
  readonly insecure: boolean;

  constructor(
    private readonly host: Host,
    private readonly ctx: Settings,
    readonly target: Target,
  ) {
    this.insecure = ctx.settings.getBoolean('SREGISTRY_HTTPS_NOVERIFY');
    this.token = target.token;
  }

  /** the token sent: the target's, or the one withheld from it once its front end leads to the host it is for */
  private token: string | undefined;

  get hasToken(): boolean {
    return Boolean(this.token);
  }

  /** The Authorization header (only ever sent to this server; core drops it across origins). */
  authorization(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }

  readonly debug = (line: string) => this.ctx.log.debug(line);

  /** The Library API address: the target itself when it answers /version, else its front end's libraryAPI.uri. */
  api(signal?: AbortSignal): Promise<string> {
    this.apiPromise ??= this.discover(signal);
    return this.apiPromise;
  }

  private async discover(signal?: AbortSignal): Promise<string> {
    const url = this.target.url;
    const { version, status } = await this.fetchVersion(url, signal);
    if (version !== undefined) {
      this.versionPromise = Promise.resolve(version);
      return url;
    }
    const config = await this.host.requestJson<{ libraryAPI?: { uri?: unknown } }>({
      url: `${url}/assets/config/config.prod.json`,
      insecure: this.insecure,
      plainHttpSetting: this.target.plainHttpSetting,
      signal,
      debug: this.debug,
    });
    const uri = config.status === 200 ? config.data?.libraryAPI?.uri : undefined;
    if (typeof uri === 'string' && uri.trim() !== '') {
      const trimmed = uri.trim().replace(/\/+$/, '');
      const api = /^https?:\/\//i.test(trimmed) ? trimmed : `${new URL(url).protocol}//${trimmed}`;
      try {
        new URL(api);
      } catch {
        return url;
      }
      this.ctx.log.debug(`library: ${this.host.urlOrigin(url)} names its library ${this.host.urlOrigin(api)}`);
      if (this.target.withheldToken && originOf(api) === this.target.withheldFor) {
        // the requests go to the host the saved token is for, not to the front end that named it
        this.ctx.log.debug(`library: ${this.host.urlOrigin(api)} is the host the saved token is for: it is sent there`);
        this.token = this.target.withheldToken;
      }
      return api;
    }
    // Every Library server answers /version. A 404 (or a web page) there, with no front-end config naming one, is
    // another kind of server: say so, rather than "not in the library" for every image. A 429 or a 5xx is not
    // proof, so the address is tried as it is.
    if (status === 404 || status === 'not JSON') {
      throw new this.host.UserError(
        `${this.host.urlOrigin(url)} is not a Library API: GET /version answered ${status === 404 ? '404' : 'with a page, not JSON'}, and it names no library in /assets/config/config.prod.json`,
        {
          fix: `check the library address (from ${this.target.source}), e.g. https://library.sylabs.io or your Registry Server's address`,
          code: 'EBADANSWER',
        },
      );
    }
    return url;
  }

  /** `/version`'s apiVersion (undefined when the server has no /version, i.e. it is not a Library API), and its status. */
  private async fetchVersion(api: string, signal?: AbortSignal): Promise<{ version?: string; status: number | 'not JSON' }> {
    const answer = await this.host.requestJson<{ data?: { apiVersion?: unknown; version?: unknown } }>({
      url: `${api}/version`,
      insecure: this.insecure,
      // the target's scheme only: an API its front end names is the server's word, not ours
      plainHttpSetting: api === this.target.url ? this.target.plainHttpSetting : undefined,
      signal,
      debug: this.debug,
    });
    if (answer.status === 200 && !answer.isJson) return { status: 'not JSON' };
    if (answer.status !== 200) return { status: answer.status };
    const v = answer.data?.data?.apiVersion ?? answer.data?.data?.version;
    return { version: typeof v === 'string' ? v : '', status: 200 };
  }

  /** The server's apiVersion ('' when it states none). */
  async apiVersion(signal?: AbortSignal): Promise<string> {
    const api = await this.api(signal);
    this.versionPromise ??= this.fetchVersion(api, signal).then((answer) => answer.version);
    return (await this.versionPromise) ?? '';
  }

  async call<T = unknown>(path: string, options: CallOptions = {}): Promise<JsonResponse<T>> {
    const api = await this.api(options.signal);
    const url = new URL(`${api}${path}`);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    return this.host.requestJson<T>({
      url: url.href,
      method: options.method,
      json: options.json,
      headers: this.authorization(),
      insecure: this.insecure,
      plainHttpSetting: api === this.target.url ? this.target.plainHttpSetting : undefined,
      signal: options.signal,
      debug: this.debug,
    });
  }

  /** The one-line error for a 401/403: no token, a refused token, or a user who may not do this. */
  authError(status: number, what: string, answer: Pick<JsonResponse, 'data'> & Partial<JsonResponse>): Error {
    const said = serverMessage(this.host, answer);
    const where = this.host.urlOrigin(this.target.url);
    if (!this.hasToken) {
      return new this.host.UserError(`${where} needs a token to ${what}${said ? ` (${said})` : ''}`, {
        fix: this.target.withheldFor ? this.loginHint() : `create one on the library web page, then: ${this.loginHint()}`,
        code: 'ENOCREDENTIAL',
      });
    }
    return new this.host.UserError(
      `${where} ${status === 401 ? 'refused the token' : "does not let the token's user"} ${status === 401 ? `to ${what}` : what} (HTTP ${status}${said ? `: ${said}` : ''})`,
      {
        fix:
          status === 401
            ? this.refusedTokenFix()
            : 'check that the entity is yours (or that you are an owner of the collection), or log in as its owner',
        code: status === 401 ? 'ETOKEN' : 'EPERM',
      },
    );
  }

  /**
   * A refused token is fixed where it came from: `library login` cannot help while SREGISTRY_LIBRARY_TOKEN is set
   * in the environment (it wins over the saved one), nor for a token Apptainer's remote.yaml holds.
   */
  private refusedTokenFix(): string {
    const from = this.token === this.target.withheldToken ? 'setting' : this.target.tokenFrom;
    if (from && from !== 'setting') {
      return `the token of Apptainer's remote ${this.host.printable(from.remote, { max: 60 })} (${this.host.printable(from.file, { max: 120 })}) is wrong, expired or revoked: run apptainer remote login ${this.host.printable(from.remote, { max: 60 })}, or set a valid one with sregistry library login`;
    }
    const saved = this.ctx.settings.fromSecretsFile?.('SREGISTRY_LIBRARY_TOKEN')?.trim();
    if (saved === undefined || saved !== this.token) {
      // without a saved token, unsetting the variable only leaves none
      const instead = saved
        ? 'unset it to use the saved token, or set it to a valid one'
        : 'set it to a valid one, or unset it and run sregistry library login';
      return `the token in SREGISTRY_LIBRARY_TOKEN (the environment, which wins over a saved token) is wrong, expired or revoked: ${instead}`;
    }
    return "the token saved in the secrets file's library section is wrong, expired or revoked: create a new one and run sregistry library login";
  }

  /**
   * How to give this server a token: the login command, and why the saved token was not sent when it is another
   * server's.
   */
  loginHint(): string {
    const withheld = this.target.withheldFor;
    const url = this.host.redactUrl(this.target.url);
    if (withheld) {
      return `the saved token is for ${withheld}, not this server: echo "$TOKEN" | sregistry library login --base ${url} (or set SREGISTRY_LIBRARY_TOKEN)`;
    }
    // SREGISTRY_LIBRARY_TOKEN goes where SREGISTRY_LIBRARY_BASE points, never to a host a URI names (docs/library-backend.md)
    if (this.target.namedByUri) {
      // as typed: `https://host`, not the URL parser's `https://host/`
      const base = url.replace(/^([a-z]+:\/\/[^/]+)\/$/i, '$1');
      return `echo "$TOKEN" | sregistry library login --base ${base} (a token in SREGISTRY_LIBRARY_TOKEN goes to a host the URI names only with SREGISTRY_LIBRARY_BASE=${base})`;
    }
    return 'echo "$TOKEN" | sregistry library login (or set SREGISTRY_LIBRARY_TOKEN)';
  }

  /** Any other unexpected answer. */
  unexpected(status: number, what: string, answer: Pick<JsonResponse, 'data'> & Partial<JsonResponse>): Error {
    const said = serverMessage(this.host, answer);
    return new this.host.UserError(`${this.host.urlOrigin(this.target.url)} answered ${status} to ${what}${said ? `: ${said}` : ''}`, {
      fix: status >= 500 ? 'the server has a problem; try again later, or run with --debug' : 'run with --debug to see the exchange',
      code: 'EHTTP',
    });
  }

  describe(): string {
    return `[library|${this.host.redactUrl(this.target.url)} from ${this.target.source}${this.hasToken ? ', with a token' : ''}]`;
  }
}
