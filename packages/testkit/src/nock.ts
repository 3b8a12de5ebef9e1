// nock helpers for unit tests of rare registry answers that are awkward to provoke from the fake server.
// nock is an optional peer dependency and patches node:http as soon as it is loaded, so it is required lazily,
// only when a test asks for a scope — importing @sregistry/testkit must never intercept anything by itself.
import type nockType from 'nock';

type Nock = typeof nockType;
type Scope = nockType.Scope;

function loadNock(): Nock {
  try {
    return require('nock') as Nock;
  } catch (err) {
    throw new Error(`nockRegistry needs the optional peer dependency "nock" (${(err as Error).message})`);
  }
}

export interface RegistryNock {
  /** The underlying nock scope, for anything the helpers do not cover. */
  scope: Scope;
  /** `GET /api/container/<c>/<n>:<t>` answered with `body` (any JSON, e.g. a ContainerDetail or `{}`). */
  manifest(collection: string, name: string, tag: string, body: unknown, status?: number): RegistryNock;
  /** HTTP 200 whose JSON body is the bare number, as the server sends for a bad pull signature or the limit. */
  bareNumber(path: string, code: 400 | 429, method?: string): RegistryNock;
  /** An HTML page where JSON was expected (Django error pages, a proxy, a login portal). */
  html(path: string, status: number, method?: string): RegistryNock;
  /** The connection is reset before any answer (an Error with code ECONNRESET, as node would raise). */
  dropConnection(path: string, method?: string): RegistryNock;
  /** DRF's anon throttle answer. */
  throttled(path: string, seconds?: number, method?: string): RegistryNock;
  /** Push step 1 refused the way the server refuses it: HTTP 500 with an HTML page. */
  pushRefused(): RegistryNock;
  isDone(): boolean;
  /** Throws if an interceptor was not used. */
  done(): void;
}

/**
 * Intercepts requests to a registry. `base` may be the origin or the client's base with `/api`; helper paths
 * are origin-relative (`/api/...`, `/containers/...`) and any path prefix of the base is kept.
 */
export function nockRegistry(base: string): RegistryNock {
  const nock = loadNock();
  const url = new URL(base);
  const prefix = url.pathname.replace(/\/+$/, '').replace(/\/api$/, '');
  const scope = nock(url.origin);
  const at = (path: string) => `${prefix}${path.startsWith('/') ? path : `/${path}`}`;
  const intercept = (method: string, path: string) => scope.intercept(at(path), method.toUpperCase());
  const json = { 'Content-Type': 'application/json' };
  const htmlType = { 'Content-Type': 'text/html; charset=utf-8' };

  const helpers: RegistryNock = {
    scope,
    manifest(collection, name, tag, body, status = 200) {
      intercept('GET', `/api/container/${collection}/${name}:${tag}`).reply(status, JSON.stringify(body), json);
      return helpers;
    },
    bareNumber(path, code, method = 'GET') {
      intercept(method, path).reply(200, String(code), json);
      return helpers;
    },
    html(path, status, method = 'GET') {
      intercept(method, path).reply(
        status,
        `<!doctype html>\n<html lang="en"><head><title>${status}</title></head><body><h1>${status}</h1></body></html>\n`,
        htmlType,
      );
      return helpers;
    },
    dropConnection(path, method = 'GET') {
      // Always a real Error object: clients check `err.code`, and nock passes plain objects through unchanged.
      const err = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      intercept(method, path).replyWithError(err);
      return helpers;
    },
    throttled(path, seconds = 86_399, method = 'GET') {
      const detail = `Request was throttled. Expected available in ${seconds} second${seconds === 1 ? '' : 's'}.`;
      intercept(method, path).reply(429, JSON.stringify({ detail }), { ...json, 'Retry-After': String(seconds) });
      return helpers;
    },
    pushRefused() {
      intercept('POST', '/api/upload/chunked_upload').reply(
        500,
        '<!doctype html>\n<html lang="en"><head><title>Server Error (500)</title></head><body><h1>Server Error (500)</h1><p></p></body></html>\n',
        htmlType,
      );
      return helpers;
    },
    isDone: () => scope.isDone(),
    done: () => scope.done(),
  };
  return helpers;
}
