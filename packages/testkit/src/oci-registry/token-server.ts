// A token server for the registry's `auth: token` set-up (the Docker token protocol): GET /token?service=&scope=
// with optional Basic credentials answers {token, access_token, expires_in}. The JWT is signed (RS256) with the
// test's signing key and carries the certificate in `x5c`, which the registry checks against its rootcertbundle.
// Anonymous callers get pull on the public repositories only; known users get what they ask for.
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenServerOptions {
  issuer: string;
  service: string;
  signingKey: string;
  signingCert: string;
  users: Record<string, string>;
  /** repositories anyone may pull */
  publicRepositories?: string[];
  /** seconds the token is valid; a negative value hands out tokens that have already expired */
  lifetimeSeconds?: number;
}

export interface TokenServerHandle {
  url: string;
  /** each request: the scopes asked for, and the user (undefined: anonymous) */
  requests: { scope: string[]; user?: string }[];
  /** change the lifetime of the tokens handed out from now on */
  setLifetime(seconds: number): void;
  close(): Promise<void>;
}

type Access = { type: string; name: string; actions: string[] };

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

function parseScope(scope: string): Access | undefined {
  const m = /^([a-z]+):(.+):([a-z*,]+)$/.exec(scope);
  return m ? { type: m[1], name: m[2], actions: m[3].split(',') } : undefined;
}

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServerHandle> {
  const key = createPrivateKey(fs.readFileSync(options.signingKey));
  const der = new X509Certificate(fs.readFileSync(options.signingCert)).raw.toString('base64');
  let lifetime = options.lifetimeSeconds ?? 300;
  const requests: TokenServerHandle['requests'] = [];

  const issue = (subject: string, access: Access[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [der] };
    const claims = {
      iss: options.issuer,
      sub: subject,
      aud: options.service,
      iat: now - 5,
      nbf: now - 5 - (lifetime < 0 ? -lifetime * 2 : 0),
      exp: now + lifetime,
      jti: randomUUID(),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scopes = url.searchParams
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .filter(Boolean);
    let user: string | undefined;
    const authorization = req.headers.authorization;
    if (authorization?.startsWith('Basic ')) {
      const [name, ...rest] = Buffer.from(authorization.slice(6), 'base64').toString().split(':');
      if (options.users[name] === undefined || options.users[name] !== rest.join(':')) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] }));
        return;
      }
      user = name;
    }
    requests.push({ scope: scopes, user });
    if (url.pathname !== '/token' || url.searchParams.get('service') !== options.service) {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'DENIED', message: 'unknown service' }] }));
      return;
    }
    const granted = scopes
      .map(parseScope)
      .filter((a): a is Access => a !== undefined)
      .map((a) =>
        user ? a : { ...a, actions: (options.publicRepositories ?? []).includes(a.name) ? a.actions.filter((x) => x === 'pull') : [] },
      );
    const token = issue(user ?? '', granted);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: lifetime, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/token`,
    requests,
    setLifetime: (seconds) => {
      lifetime = seconds;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
