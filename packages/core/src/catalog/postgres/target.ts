import net from 'node:net';
import type { ConnectionConfig } from 'pg';
import { type PostgresLocation, parseDatabaseLocation } from '../location';

/**
 * A PostgreSQL catalogue as the catalogue code sees it: pg's connection settings, taken from the one parser of
 * SREGISTRY_DATABASE (location.ts: the password from the URL, PGPASSWORD or the password file, as libpq reads
 * them; `sslmode`), and the printable form every message uses instead of the URL.
 */
export interface PostgresTarget {
  config: ConnectionConfig;
  /** `postgresql://user@host:port/db` */
  display: string;
  /** secrets that must not appear in any output (the password, PGPASSWORD) */
  secrets: string[];
  /** the role that logs in */
  user: string;
  /** libpq's sslmode from the URL (undefined: not given) */
  sslmode?: string;
}

export function postgresTarget(url: string, env: Record<string, string | undefined> = process.env): PostgresTarget {
  const location = parseDatabaseLocation(url, env);
  if (location.kind !== 'postgres') throw new Error('not a PostgreSQL location');
  const password = location.password;
  const sockets = new Set<net.Socket>();
  const secrets = [password, env.PGPASSWORD].filter((s): s is string => typeof s === 'string' && s.length > 0);
  return {
    config: {
      host: location.host,
      port: location.port,
      user: location.user,
      database: location.database,
      // pg would look for a password itself (in process.env and ~/.pgpass, warning once per connection about a
      // file others can read): it gets the one libpq's rules found, asked for only when the server wants one
      password: async () => {
        if (password === undefined) {
          // the server waits for the password until its authentication_timeout (60 s) with the socket open, and
          // a command that ends by itself (--json) would wait as long: no connection of this target can log in
          setImmediate(() => {
            for (const socket of sockets) socket.destroy();
          });
          throw new NoPasswordError();
        }
        return password;
      },
      stream: () => {
        const socket = new net.Socket();
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
        return socket;
      },
      ssl: sslFor(location),
    },
    display: location.redacted,
    secrets: [...new Set(secrets)],
    user: location.user,
    ...(location.sslmode ? { sslmode: location.sslmode } : {}),
  };
}

/** The server asked for a password and none was found (URL, PGPASSWORD, the password file). */
export class NoPasswordError extends Error {
  constructor() {
    super('no password was given');
    this.name = 'NoPasswordError';
  }
}

/**
 * libpq's sslmode in pg's terms. pg cannot fall back between plain and TLS connections, so `allow` and `prefer`
 * (libpq's default) connect without TLS, as they do with a server that offers none; `require` encrypts without
 * checking the certificate, `verify-ca` checks it against the CAs, `verify-full` the host name as well.
 */
function sslFor(location: PostgresLocation): ConnectionConfig['ssl'] {
  switch (location.sslmode) {
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
    default:
      return false;
  }
}

/** `text` with every secret of the target masked (a server or driver message may quote what it was given). */
export function scrub(target: PostgresTarget, text: string): string {
  let out = text;
  for (const secret of target.secrets) out = out.split(secret).join('***');
  return out;
}
