// What SREGISTRY_DATABASE names: a folder holding the original's SQLite file, or a PostgreSQL database (the team
// catalogue) as a `postgresql://` URL. Anything else that looks like a URL is refused, instead of being taken for
// a relative folder (which once made a directory `postgresql:/user:password@…` in the current folder). The
// password is read as libpq does (the URL, PGPASSWORD, then the password file) and is never part of what is
// printed: `redacted`/`announce` leave it out, and the location hides it from JSON.stringify and util.inspect.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { UserError } from '../errors';
import { printable } from '../output/untrusted';
import { rememberSecret } from '../transfer/redact';

export type Env = Record<string, string | undefined>;

export interface SqliteLocation {
  kind: 'sqlite';
  /** the folder holding `sregistry.db` */
  folder: string;
  file: string;
  /** `sqlite:///<file>`, as the original's announce line shows it */
  announce: string;
}

export interface PostgresLocation {
  kind: 'postgres';
  /** the connection string as given, password and all: for the driver only, never printed (not enumerable) */
  readonly url: string;
  /** `postgresql://user@host:port/db`: what every message and the announce line show */
  redacted: string;
  announce: string;
  host: string;
  port: number;
  user: string;
  database: string;
  /** libpq's sslmode from `?sslmode=` (undefined: the driver's default) */
  sslmode?: SslMode;
  /** the password (URL, PGPASSWORD or the password file), read on first use; not enumerable */
  readonly password: string | undefined;
  /** where the password comes from, for messages ("wrong password from ~/.pgpass"); undefined when none */
  readonly passwordSource: 'url' | 'PGPASSWORD' | 'password file' | undefined;
  /** a password file that was skipped, and why (libpq warns the same way) */
  readonly passwordFileWarning: string | undefined;
}

export type DatabaseLocation = SqliteLocation | PostgresLocation;

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

const FIX = 'set SREGISTRY_DATABASE to a folder (the SQLite catalogue) or to postgresql://user@host:port/db (a team catalogue)';

/**
 * A URL-looking value: a scheme of two letters or more and a colon with a slash (`mysql://`, `sqlite:///…`, and
 * the mangled `postgresql:/…` a shell or a path join makes). One letter would be a drive; a plain folder name may
 * hold a colon, but not this shape.
 */
const URL_LIKE = /^([A-Za-z][A-Za-z0-9+.-]+):\//;

/** Whether SREGISTRY_DATABASE's value is meant as a URL rather than a folder. */
export function looksLikeUrl(value: string): boolean {
  const trimmed = value.trim();
  return URL_LIKE.test(trimmed) || mistypedUrl(trimmed) !== undefined;
}

/** Where the catalogue lives. Throws a one-line UserError (code EDBURL) for a value that is neither. */
export function parseDatabaseLocation(value: string | undefined, env: Env = process.env): DatabaseLocation {
  const home = env.HOME || os.homedir();
  const trimmed = value?.trim();
  if (!trimmed) return sqliteLocation(path.join(home, '.singularity'));
  const scheme = URL_LIKE.exec(trimmed)?.[1].toLowerCase();
  if (scheme === undefined) {
    refuseMistypedUrl(trimmed);
    return sqliteLocation(path.resolve(expandHome(trimmed, home)));
  }
  if (scheme === 'postgresql' || scheme === 'postgres') return postgresLocation(trimmed, env);
  // name the scheme only: the rest of the value may hold a password
  if (scheme === 'sqlite') {
    // sqlite:////abs/file (the original's announce form) and sqlite:///abs/file (written by hand) alike
    const rest = trimmed.replace(/^sqlite:\/\/\/?/i, '');
    const file = path.posix.normalize(`/${rest.replace(/^\/+/, '')}`);
    const folder = path.posix.dirname(file);
    // the catalogue file is always <folder>/sregistry.db: a URL of another file has no folder that gives it
    throw new UserError('SREGISTRY_DATABASE takes the folder of the SQLite catalogue, not a sqlite:// URL', {
      fix:
        path.posix.basename(file) === 'sregistry.db'
          ? `set SREGISTRY_DATABASE=${printable(folder)}`
          : `set SREGISTRY_DATABASE to a folder: the catalogue file in it is always named sregistry.db (${printable(folder)} for ${printable(path.posix.join(folder, 'sregistry.db'))})`,
      code: 'EDBURL',
    });
  }
  throw new UserError(`SREGISTRY_DATABASE is a ${scheme}: URL; only PostgreSQL (postgresql://) and a folder are supported`, {
    fix: FIX,
    code: 'EDBURL',
  });
}

/** `postgresql//…`, `postgres:host/db`: a PostgreSQL URL whose `://` was mistyped (a folder is not named so). */
const MISTYPED_POSTGRES = /^(postgres(?:ql)?)(?:\/\/|:(?!\/))/i;
/** `mysql//root@host/db`: a scheme, then `//` without the colon, then a user part. */
const MISTYPED_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]+)\/\/[^/]*@/;
/**
 * `user:password@host` in one path segment (or with the password's `/` across two): credentials, not a folder.
 * A folder of that shape would put a password on disk and in every message naming the folder.
 */
const CREDENTIALS_LIKE = /(?:^|\/)[^/:@]+:[^@]*@[^/@]+/;

/**
 * A value that is not a URL (no `<scheme>:/`) but looks like one mistyped is refused rather than taken for a
 * relative folder: that once made `./postgresql/bob:<password>@host/…/sregistry.db` and printed the password in
 * the folder's error. Names the scheme at most, never the rest (it may hold a password).
 */
function refuseMistypedUrl(value: string): void {
  const mistyped = mistypedUrl(value);
  if (mistyped === undefined) return;
  throw mistypedSeparator(mistyped.scheme);
}

function mistypedSeparator(scheme: string): UserError {
  const name = printable(scheme.toLowerCase(), { max: 20 });
  const what = scheme === '' ? 'has a user:password@host part' : `starts with ${name} but not ${name}://`;
  return new UserError(`SREGISTRY_DATABASE ${what}: a URL with a mistyped scheme separator, not a folder`, {
    fix: 'write it as postgresql://user@host[:port]/database (the password in PGPASSWORD or ~/.pgpass), or give a folder',
    code: 'EDBURL',
  });
}

/** The scheme of a mistyped URL ('' when only its user:password@host shows it is one); undefined for a folder. */
function mistypedUrl(value: string): { scheme: string } | undefined {
  const scheme = MISTYPED_POSTGRES.exec(value)?.[1] ?? MISTYPED_SCHEME.exec(value)?.[1];
  if (scheme !== undefined) return { scheme: scheme.toLowerCase() };
  return CREDENTIALS_LIKE.test(value) ? { scheme: '' } : undefined;
}

function sqliteLocation(folder: string): SqliteLocation {
  const file = path.join(folder, 'sregistry.db');
  return { kind: 'sqlite', folder, file, announce: `sqlite:///${file}` };
}

function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

function postgresLocation(value: string, env: Env): PostgresLocation {
  // WHATWG URL parsing, not pg-connection-string: that one reads the sslcert/sslkey files and emits driver
  // warnings while parsing, and the driver parses the connection string itself when it connects
  // `postgresql:/…` parses as a path, which would take the user:password part for the database name
  const separator = /^([a-z]+):(\/*)/i.exec(value);
  if (separator && separator[2].length < 2) throw mistypedSeparator(separator[1]);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // with a user part, what the parser took for a host or port may be a password's text (an unencoded # ? / or @
    // ends it early): echo none of it
    if (!userinfoInAuthority(value)) throw malformedWithUserinfo();
    throw new UserError(`SREGISTRY_DATABASE is not a valid PostgreSQL URL${malformedPart(value)}`, {
      // not `user[:password]@`: output redaction reads that as credentials and takes out ":password]"
      fix: 'write it as postgresql://user@host[:port]/database (the password in PGPASSWORD or ~/.pgpass, or after user: with @ : / percent-encoded)',
      code: 'EDBURL',
    });
  }
  // an @ beyond the authority (in the path, query or fragment): the password had an unencoded / ? or #, so the
  // parsed host and port are a piece of it
  if (`${url.pathname}${url.search}${url.hash}`.includes('@')) throw malformedWithUserinfo();
  const bad = (what: string, fix: string): never => {
    throw new UserError(`SREGISTRY_DATABASE ${redactedOf(url)}: ${what}`, { fix, code: 'EDBURL' });
  };
  const params = url.searchParams;
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return bad('has a malformed %-escape', 'percent-encode the user, password and database name');
    }
  };
  const user = params.get('user') || decode(url.username) || env.PGUSER || osUser();
  // a Unix socket folder comes as ?host=/path (or an encoded first part), as libpq and pg take it
  const portText = params.get('port') || url.port || env.PGPORT || '5432';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) bad(`port ${portText} is not a port number`, 'use a port from 1 to 65535');
  const host = params.get('host') || decode(url.hostname.replace(/^\[(.+)\]$/, '$1')) || env.PGHOST || libpqDefaultHost(port);
  const database = decode(url.pathname.replace(/^\//, '')) || params.get('dbname') || env.PGDATABASE || user;
  if (database.includes('/')) bad('names more than one path segment', 'the path is the database name: postgresql://user@host:port/db');
  const sslmodeText = params.get('sslmode') ?? undefined;
  if (sslmodeText !== undefined && !(SSL_MODES as readonly string[]).includes(sslmodeText)) {
    bad(`sslmode=${sslmodeText} is not one of libpq's modes`, `use one of ${SSL_MODES.join(', ')}`);
  }
  const redacted = `postgresql://${encodeURIComponent(user)}@${displayHost(host)}:${port}/${encodeURIComponent(database)}`;

  const fromUrl = params.get('password') || (url.password ? decode(url.password) : '');
  // masked wherever it might turn up (a driver's or server's message quoting what it was given)
  rememberSecret(fromUrl);
  rememberSecret(env.PGPASSWORD);
  let resolved: { password?: string; source?: PostgresLocation['passwordSource']; warning?: string } | undefined;
  const resolve = () => {
    if (resolved) return resolved;
    if (fromUrl) resolved = { password: fromUrl, source: 'url' };
    else if (env.PGPASSWORD !== undefined && env.PGPASSWORD !== '') resolved = { password: env.PGPASSWORD, source: 'PGPASSWORD' };
    else {
      // libpq matches a Unix-socket connection against the password file's "localhost" lines
      const found = passwordFromFile({ host: host.startsWith('/') ? 'localhost' : host, port, database, user }, env);
      rememberSecret(found.password);
      resolved = { password: found.password, source: found.password ? 'password file' : undefined, warning: found.warning };
    }
    return resolved;
  };

  const location = {
    kind: 'postgres',
    redacted,
    announce: redacted,
    host,
    port,
    user,
    database,
    ...(sslmodeText ? { sslmode: sslmodeText as SslMode } : {}),
  } as PostgresLocation;
  Object.defineProperties(location, {
    url: { value, enumerable: false },
    password: { get: () => resolve().password, enumerable: false },
    passwordSource: { get: () => resolve().source, enumerable: false },
    passwordFileWarning: { get: () => resolve().warning, enumerable: false },
    [util.inspect.custom]: { value: () => `PostgresLocation(${redacted})`, enumerable: false },
  });
  return location;
}

/** Where libpq looks for the server's Unix socket when no host is given (Debian's folder, then upstream's). */
export const SOCKET_DIRS = ['/var/run/postgresql', '/tmp'];

/**
 * The host of a URL without one (`postgresql:///db`) and no PGHOST: libpq connects to the server's Unix socket,
 * so the folder of the first `.s.PGSQL.<port>` found is used; without one, TCP to localhost (libpq would fail
 * on the missing socket).
 */
export function libpqDefaultHost(port: number, dirs: readonly string[] = SOCKET_DIRS): string {
  for (const dir of dirs) {
    try {
      if (fs.statSync(path.join(dir, `.s.PGSQL.${port}`)).isSocket()) return dir;
    } catch {
      // no socket there
    }
  }
  return 'localhost';
}

/**
 * `postgresql://user@host:port/database` of a URL the caller gave, for messages about a bad value: without the
 * password, and without a path that has an `@` (a password with an unencoded `/` puts the rest of it there).
 */
function redactedOf(url: URL): string {
  const user = url.username ? `${url.username}@` : '';
  const database = url.pathname.includes('@') ? '' : url.pathname;
  return `postgresql://${user}${url.host}${database}`;
}

/**
 * Whether every @ of the value is in its authority (before the first / ? or #), so that what follows the last one
 * is the host and port as written; true without any @. A password with an unencoded / ? or # leaves an @ behind.
 */
function userinfoInAuthority(value: string): boolean {
  const authority = /^[a-z]+:\/\/([^/?#]*)/i.exec(value)?.[1];
  const count = (text: string) => text.split('@').length - 1;
  return count(value) === 0 || (authority !== undefined && count(authority) === count(value));
}

/** A URL with a user part that does not parse as one: no part of it is echoed (any of it may be the password). */
function malformedWithUserinfo(): UserError {
  return new UserError('SREGISTRY_DATABASE is a malformed PostgreSQL URL (its host and port cannot be told from its user part)', {
    fix: 'a password with @ : / ? # % must be percent-encoded (%40 %3A %2F %3F %23 %25), or kept in PGPASSWORD or ~/.pgpass: postgresql://user@host[:port]/database',
    code: 'EDBURL',
  });
}

/** What is wrong in a value the URL parser refused, when it is the host or the port: ` (port 99999 …)`. */
function malformedPart(value: string): string {
  const authority = /^[a-z]+:\/\/([^/?#]*)/i.exec(value)?.[1];
  if (authority === undefined) return '';
  // the host and port follow the last @; what comes before it may be a password
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  if (hostPort.startsWith('[') && !hostPort.includes(']')) return ' (the [ of an IPv6 host is not closed)';
  const port = /^(?:\[[^\]]*\]|[^:[\]]*):(.*)$/.exec(hostPort)?.[1];
  if (port !== undefined && port !== '' && (!/^\d+$/.test(port) || Number(port) > 65535)) {
    return ` (port ${printable(port, { max: 20 })} is not a port number from 1 to 65535)`;
  }
  return '';
}

function displayHost(host: string): string {
  if (host.startsWith('/')) return encodeURIComponent(host);
  return host.includes(':') ? `[${host}]` : host;
}

function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'postgres';
  }
}

interface PgpassHelper {
  parseLine(line: string): Record<'host' | 'port' | 'database' | 'user' | 'password', string> | null;
  isValidEntry(entry: Record<string, string>): boolean;
  match(connInfo: { host: string; port: number; database: string; user: string }, entry: Record<string, string>): boolean;
}

/**
 * The password file as libpq reads it (PGPASSFILE or ~/.pgpass; host:port:database:user:password lines, `*`
 * matching anything, `\:` and `\\` escapes; ignored with a warning unless a regular file closed to group and
 * others). The line format is the `pgpass` package's (node-postgres's own reader); the file is read here,
 * synchronously and with the caller's environment, where that package reads process.env and writes its
 * warnings to stderr itself.
 */
export function passwordFromFile(
  connection: { host: string; port: number; database: string; user: string },
  env: Env = process.env,
): { password?: string; warning?: string } {
  const file = env.PGPASSFILE || path.join(env.HOME || os.homedir(), '.pgpass');
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return {};
  }
  if (!stat.isFile()) return { warning: `password file ${file} is not a plain file; it is ignored` };
  if (stat.mode & 0o077) {
    return { warning: `password file ${file} has group or world access; it is ignored (chmod 600 ${file})` };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const helper = require('pgpass/lib/helper.js') as PgpassHelper;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return { warning: `password file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); it is ignored` };
  }
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('#')) continue;
    const entry = helper.parseLine(line);
    if (entry && helper.isValidEntry(entry) && helper.match(connection, entry)) return { password: entry.password };
  }
  return {};
}
