// HTTP to one OCI registry (distribution-spec): https by default (SREGISTRY_ORAS_NOHTTPS=true for plain http),
// the auth challenge answered once per scope and cached for the command (Basic for htpasswd registries, the
// Bearer token flow with anonymous tokens when there is no login), and the three auth failures as one line each.
// JSON calls go through the host's requestJson (retries, redirects without credentials across origins); blob
// bodies stream from the file (raw-upload.ts).
import type { BackendContext } from '@sregistry/core';
import { type Credential, findCredential } from './credentials';
import type { Host, JsonRequest, JsonResponse } from './host';
import { type RawAnswer, type RawRequest, sendRaw } from './raw-upload';

export const NOVERIFY_WARNING = 'Verify of certificates disabled! ::TESTING USE ONLY::';

/** What a request needs access to: a repository's actions, the registry's catalogue, or none (a login's check). */
export type Scope = { repository: string; actions: string[] } | 'catalog' | 'login';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenge(header: string | undefined): Challenge | undefined {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header ?? '');
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/(\w+)="([^"]*)"/g)) params[p[1].toLowerCase()] = p[2];
  return { scheme: m[1].toLowerCase(), params };
}

/** The first `errors[].code: message` of an OCI error body. */
export function registryError(host: Host, answer: Pick<JsonResponse, 'data'>): { code?: string; message?: string } {
  const first = (answer.data as { errors?: { code?: unknown; message?: unknown }[] } | undefined)?.errors?.[0];
  // server text: made printable by the host's one rule for untrusted text
  return {
    code: first?.code ? host.printable(first.code, { max: 40 }) : undefined,
    message: first?.message ? host.printable(first.message, { max: 120 }) : undefined,
  };
}

function scopeKey(scope: Scope): string {
  if (scope === 'login') return '';
  return scope === 'catalog' ? 'registry:catalog:*' : `repository:${scope.repository}:${[...scope.actions].sort().join(',')}`;
}

export class OciClient {
  readonly base: string;
  readonly insecure: boolean;
  private credential: Promise<Credential | undefined> | undefined;
  private basic = false;
  private readonly tokens = new Map<string, string>();

  constructor(
    private readonly host: Host,
    private readonly ctx: Pick<BackendContext, 'settings' | 'log'>,
    readonly registry: string,
    private readonly env: Record<string, string | undefined> = process.env,
    /** a login being checked (oras login), instead of the one the Docker config holds */
    private readonly given?: Credential,
  ) {
    this.base = `${ctx.settings.getBoolean('SREGISTRY_ORAS_NOHTTPS') ? 'http' : 'https'}://${registry}`;
    this.insecure = ctx.settings.getBoolean('SREGISTRY_HTTPS_NOVERIFY');
    if (this.insecure) ctx.log.warn(NOVERIFY_WARNING);
  }

  /** The backend's log (retries are told on --debug). */
  get log(): BackendContext['log'] {
    return this.ctx.log;
  }

  private get uploadTarget() {
    return { base: this.base, registry: this.registry, insecure: this.insecure };
  }

  /** The Authorization header for `scope`, when one is known (also handed to core's download of a blob). */
  authorization(scope: Scope): string | undefined {
    const token = this.tokens.get(scopeKey(scope));
    if (token) return `Bearer ${token}`;
    return this.basic ? this.basicHeader : undefined;
  }

  private basicHeader: string | undefined;

  private login(): Promise<Credential | undefined> {
    this.credential ??= (this.given ? Promise.resolve(this.given) : findCredential(this.host, this.registry, this.env)).then((c) => {
      if (c) this.basicHeader = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
      this.ctx.log.debug(
        c ? `oras: credentials for ${this.registry} from ${c.source}` : `oras: no credentials for ${this.registry}: anonymous`,
      );
      return c;
    });
    return this.credential;
  }

  /** A JSON/metadata request; a 401 is answered with credentials once, then it is an auth error. */
  async json<T = unknown>(scope: Scope, req: Omit<JsonRequest, 'url'> & { path: string }): Promise<JsonResponse<T>> {
    const { path, ...rest } = req;
    const url = path.startsWith('http') ? path : `${this.base}${path}`;
    const send = () =>
      this.host
        .requestJson<T>({
          ...rest,
          url,
          insecure: this.insecure,
          debug: (l) => this.ctx.log.debug(l),
          headers: this.headers(scope, rest.headers),
        })
        .then((got) => this.httpToHttps(got))
        .catch((error: unknown) => {
          throw this.transportHint(error);
        });
    let answer = await send();
    if (answer.status !== 401) return answer;
    await this.authenticate(answer, scope);
    answer = await send();
    if (answer.status === 401) throw await this.refused(answer, scope);
    return answer;
  }

  /**
   * docker login's check of a login: `GET /v2/` answered with it (Basic, or a token asked for no scope). A wrong
   * password, a host that is no registry or cannot be reached is a UserError, so nothing is saved.
   */
  async checkLogin(): Promise<void> {
    const ping = () =>
      this.host
        .requestJson({
          url: `${this.base}/v2/`,
          insecure: this.insecure,
          debug: (l) => this.ctx.log.debug(l),
          headers: this.headers('login'),
        })
        .then((got) => this.httpToHttps(got))
        .catch((error: unknown) => {
          throw this.transportHint(error);
        });
    let answer = await ping();
    if (answer.status === 401) {
      await this.authenticate(answer, 'login');
      answer = await ping();
      if (answer.status === 401) throw await this.refused(answer, 'login');
    }
    // a web server answers /v2/ with its page: saving a login for it would only fail later
    if (answer.status === 200 && (/html/i.test(String(answer.headers['content-type'] ?? '')) || /^\s*</.test(answer.text)))
      throw this.notRegistry(answer, 'GET /v2/');
    if (answer.status !== 200) {
      throw new this.host.UserError(`${this.registry} answered ${answer.status} to /v2/: it does not look like an OCI registry`, {
        fix: 'check the host and port (a registry answers GET /v2/ with 200 or 401)',
        code: 'EHTTP',
      });
    }
  }

  /** PUT/PATCH of raw bytes (a blob or a chunk of it), streamed; a 401 re-authenticates and sends again. */
  async upload(scope: Scope, req: RawRequest): Promise<RawAnswer> {
    const send = () =>
      sendRaw(this.host, this.ctx.log, this.uploadTarget, { ...req, headers: { ...req.headers, ...this.headers(scope, {}, req.url) } });
    let answer = await send();
    if (answer.status !== 401) return answer;
    const challenge = { headers: { 'www-authenticate': String(answer.headers['www-authenticate'] ?? '') } };
    await this.authenticate(challenge, scope);
    answer = await send();
    if (answer.status === 401)
      throw await this.refused({ headers: { 'www-authenticate': String(answer.headers['www-authenticate'] ?? '') } }, scope);
    return answer;
  }

  private headers(scope: Scope, extra: Record<string, string> = {}, url?: string): Record<string, string> {
    const auth = this.authorization(scope);
    // an upload URL on another origin (object storage) never gets the registry's credentials
    if (!auth || (url && new URL(url, this.base).origin !== new URL(this.base).origin)) return { ...extra };
    return { ...extra, Authorization: auth };
  }

  private async authenticate(answer: Pick<JsonResponse, 'headers'>, scope: Scope): Promise<void> {
    const challenge = parseChallenge(answer.headers['www-authenticate']);
    const credential = await this.login();
    if (challenge?.scheme === 'basic') {
      if (!credential) throw this.missing(scope);
      this.basic = true;
      return;
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) {
      throw new this.host.UserError(
        `${this.registry} asked for an authentication this client does not speak (${this.host.printable(challenge?.scheme ?? 'none')})`,
        {
          fix: 'use a registry with Basic or Bearer token auth',
          code: 'EAUTH',
        },
      );
    }
    const { realm, service } = challenge.params;
    const wanted = scopeKey(scope);
    const asked = challenge.params.scope;
    const query = new URLSearchParams();
    if (service) query.set('service', service);
    if (wanted) query.append('scope', wanted);
    if (asked && asked !== wanted) query.append('scope', asked);
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new this.host.UserError(`${this.registry} names a token service that is not a URL`, {
        fix: 'tell the registry administrator',
        code: 'EAUTH',
      });
    }
    for (const [k, v] of query) realmUrl.searchParams.append(k, v);
    const headers: Record<string, string> = this.basicHeader ? { Authorization: this.basicHeader } : {};
    const got = await this.host
      .requestJson<{ token?: string; access_token?: string }>({
        url: realmUrl.href,
        headers,
        insecure: this.insecure,
        debug: (l) => this.ctx.log.debug(l),
      })
      .catch((error: unknown) => {
        throw this.transportHint(error, true);
      });
    if (got.status === 401 || got.status === 403) throw credential ? this.wrongPassword(credential) : this.missing(scope);
    const token = got.data?.token ?? got.data?.access_token;
    if (got.status !== 200 || typeof token !== 'string' || token === '') {
      throw new this.host.UserError(`the token service of ${this.registry} answered ${got.status} without a token`, {
        fix: 'run with --debug to see the exchange; tell the registry administrator if it persists',
        code: 'EAUTH',
      });
    }
    this.tokens.set(wanted, token);
  }

  private async refused(answer: Pick<JsonResponse, 'headers'>, scope: Scope): Promise<Error> {
    const challenge = parseChallenge(answer.headers['www-authenticate']);
    const credential = await this.login();
    if (challenge?.params.error === 'invalid_token') {
      return new this.host.UserError(`${this.registry} refused its token service's token as expired or invalid`, {
        fix: `check this machine's clock, then log in again: sregistry oras login ${this.registry} --username <name> --password-stdin`,
        code: 'ETOKEN',
      });
    }
    if (!credential) return this.missing(scope);
    if (this.basic) return this.wrongPassword(credential);
    if (scope === 'login') return this.wrongPassword(credential);
    const what = scope === 'catalog' ? 'list the catalogue' : `${scope.actions.join('/')} ${scope.repository}`;
    return new this.host.UserError(`${this.registry} does not let ${credential.username} ${what}`, {
      fix: 'ask the registry administrator for access, or log in as another user: sregistry oras login',
      code: 'EPERM',
    });
  }

  private missing(scope: Scope): Error {
    const what = scope === 'catalog' ? 'its catalogue' : scope === 'login' ? 'its API' : scope.repository;
    return new this.host.UserError(`${this.registry} needs a login for ${what}, and there is none`, {
      fix: `sregistry oras login ${this.registry} --username <name> --password-stdin (or docker login)`,
      code: 'ENOCREDENTIAL',
    });
  }

  private wrongPassword(credential: Credential): Error {
    return new this.host.UserError(
      `${this.registry} refused the password of ${this.host.printable(credential.username)} (from ${credential.source})`,
      {
        fix: `log in again: sregistry oras login ${this.registry} --username <name> --password-stdin`,
        code: 'EAUTH',
      },
    );
  }

  /**
   * An answer that is no OCI registry API answer (a web server's HTML page, a proxy's text) where the API promises
   * JSON: one line that says so and points at the address, instead of a status or an empty list that hides it.
   */
  notRegistry(answer: Pick<JsonResponse, 'headers' | 'text' | 'status'>, what: string): Error {
    const type = String(answer.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    const html = /html/i.test(type) || /^\s*</.test(answer.text);
    const kind = html
      ? 'an HTML page'
      : answer.text.trim() === ''
        ? 'an empty body'
        : `${type ? this.host.printable(type, { max: 60 }) : 'text'} that is not JSON`;
    return new this.host.UserError(`${this.registry} sent ${kind} (HTTP ${answer.status}) for ${what}, not an OCI registry API answer`, {
      fix: `check the address: ${this.registry} must be the registry itself (it answers GET /v2/ with JSON, 200 or 401), not a web server or proxy page`,
      code: 'EBADANSWER',
    });
  }

  /**
   * Plain http to a TLS port (SREGISTRY_ORAS_NOHTTPS=true against an https registry): Go's servers, Distribution's
   * among them, answer 400 "Client sent an HTTP request to an HTTPS server", which would otherwise read as a
   * refusal of the request itself.
   */
  private httpToHttps<T extends Pick<JsonResponse, 'status' | 'text'>>(answer: T): T {
    if (this.base.startsWith('http:') && answer.status === 400 && /Client sent an HTTP request to an HTTPS server/i.test(answer.text)) {
      throw new this.host.UserError(`${this.registry} speaks https on this port, and SREGISTRY_ORAS_NOHTTPS=true sent it plain http`, {
        fix: 'unset SREGISTRY_ORAS_NOHTTPS (it is for plain-http registries); for a private CA set NODE_EXTRA_CA_CERTS=<ca.pem>',
        code: 'ETLS',
      });
    }
    return answer;
  }

  /** core's fix for a failed connection, in oras words: there is no base URL, the host is in the reference. */
  private transportHint(error: unknown, tokenService = false): unknown {
    if (!this.host.isUserError(error)) return error;
    const replace = (fix: string) => new this.host.UserError(error.message, { fix, code: error.code, cause: error });
    if (error.code === 'ETLS' && this.base.startsWith('https:'))
      return replace('for a private CA set NODE_EXTRA_CA_CERTS=<ca.pem>; for a plain-http registry set SREGISTRY_ORAS_NOHTTPS=true');
    // plain http to a TLS port: a HEAD's answer (the 400 httpToHttps reads, whose body a HEAD must not have) does
    // not even parse as HTTP
    if (error.code === 'ENETWORK' && this.base.startsWith('http:') && /did not answer with valid HTTP/.test(error.message))
      return replace(`check the host and port (${this.registry}); if that port speaks https, unset SREGISTRY_ORAS_NOHTTPS`);
    if (error.code !== 'ENETWORK' || !/\bbase URL\b/.test(error.fix ?? '')) return error;
    if (tokenService)
      return replace(`check your network; ${this.registry} names this token service: tell its administrator if it stays down`);
    const where = this.given ? `the registry host and port (${this.registry})` : `the host and port in the reference (${this.registry})`;
    return replace(
      /not found/.test(error.message)
        ? `check ${where} and your network or DNS settings`
        : `check ${where} and that the registry is running`,
    );
  }
}
