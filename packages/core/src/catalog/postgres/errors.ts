import { type ErrorCode, UserError } from '../../errors';
import { printable } from '../../output/untrusted';
import { errorCode, isBusy } from '../retry';
import { NewerSchemaError } from './newer-schema';
import { NoPasswordError, type PostgresTarget, scrub } from './target';

/** Lost or never made connections: errno codes of the socket, SQLSTATE classes 08 and 57P. */
const UNREACHABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);
const UNREACHABLE_TEXT =
  /Connection terminated|timeout expired|timeout exceeded|connection timeout|server closed the connection|does not support SSL/i;

/** Whether a failure means the server cannot be talked to (as opposed to refusing what was asked). */
export function isUnreachable(error: unknown): boolean {
  const code = errorCode(error) ?? '';
  const message = String((error as Error)?.message ?? '');
  return UNREACHABLE_ERRNO.has(code) || code.startsWith('08') || code.startsWith('57P') || UNREACHABLE_TEXT.test(message);
}

/**
 * A PostgreSQL failure as one line the user can act on (always naming the database by its printable form), or,
 * when it is none of these, the error with every secret masked, so that not even a bug's `--debug` stack shows
 * the password: the server cannot be reached (or went away mid-command), the login was refused, the database
 * does not exist, the role lacks a privilege, locks or conflicts outlasted the wait, the server's disk is full,
 * the server is a read-only standby, and tables of these names that are not the catalogue's.
 */
export function postgresProblem(target: PostgresTarget, error: unknown, lock?: { waitedMs: number }): unknown {
  if (error instanceof UserError) return error;
  const code = errorCode(error) ?? '';
  const raw = String((error as Error)?.message ?? error);
  const reason = scrub(target, raw).replace(/\s+/g, ' ').slice(0, 160);
  const db = target.display;
  const cause = scrubbed(target, error);
  const make = (text: string, fix: string, userCode: ErrorCode) => new UserError(text, { fix, code: userCode, cause });
  const user = target.user || 'this user';
  if (error instanceof NewerSchemaError) {
    return make(
      `the catalogue database ${db} was made by a newer sregistry (migration ${printable(error.migration, { max: 80 })} is unknown to this version)`,
      'upgrade sregistry',
      'EDBSCHEMA',
    );
  }
  if (error instanceof NoPasswordError) {
    // a password file that was skipped has been warned about once already (Session.catalog)
    return make(`no password for ${user} at ${db}`, 'set it in ~/.pgpass (mode 0600) or PGPASSWORD', 'EDBAUTH');
  }
  if (/does not support SSL/i.test(raw)) {
    return make(
      `the catalogue database ${db} does not accept SSL connections, and sslmode=${target.sslmode ?? 'require'} asks for one`,
      'use ?sslmode=prefer (or disable) in SREGISTRY_DATABASE, or enable SSL on the server (ssl = on in postgresql.conf)',
      'EDBUNREACHABLE',
    );
  }
  if (code === '28P01' || code === '28000' || /password|SASL|SCRAM/i.test(raw)) {
    return make(
      `the catalogue database ${db} refused the login of ${user} (${reason})`,
      "check the user and password (in SREGISTRY_DATABASE, PGPASSWORD or ~/.pgpass) and the server's pg_hba.conf",
      'EDBAUTH',
    );
  }
  if (code === '3D000') {
    return make(
      `the catalogue database ${db} does not exist (${reason})`,
      'create it (createdb) or correct SREGISTRY_DATABASE',
      'EDBMISSING',
    );
  }
  if (isUnreachable(error)) {
    return make(
      `the catalogue database ${db} cannot be reached (${reason || code})`,
      'check that the PostgreSQL server is running and SREGISTRY_DATABASE names it; nothing was changed',
      'EDBUNREACHABLE',
    );
  }
  if (code === '42501') {
    return make(
      `${user} lacks a privilege on the catalogue database ${db} (${reason})`,
      'ask its owner to GRANT SELECT, INSERT, UPDATE, DELETE ON collection, container, SELECT ON sregistry_migrations and USAGE ON the sequences',
      'EDBPERM',
    );
  }
  if (code === '25006') {
    return make(`the catalogue database ${db} is read-only (${reason})`, 'point SREGISTRY_DATABASE at the primary server', 'EDBPERM');
  }
  if (code === '53100') {
    return make(`the PostgreSQL server of ${db} has no space left (${reason})`, 'ask its administrator to free some space', 'ENOSPC');
  }
  if (code === '55P03' || isBusy(error)) {
    // whole seconds down: a wait of 4.6 s against a 4 s timeout did not wait 5 s
    const waited = lock ? ` (waited ${Math.max(1, Math.floor(lock.waitedMs / 1000))} s)` : '';
    return make(
      `the catalogue database ${db} is locked by another session${waited}`,
      'try again when the other command is done, or wait longer with SREGISTRY_DATABASE_TIMEOUT=<seconds>',
      'EDBLOCKED',
    );
  }
  if (code === '22001') {
    const { tooLongColumns: columns, tooLongLimit: limit } = error as { tooLongColumns?: string[]; tooLongLimit?: number };
    if (columns && columns.length > 0 && !columns.includes('container.image')) {
      const what = columns.map((c) => TOO_LONG_WHAT[c] ?? c).join(' or ');
      return make(
        `a value is too long for the catalogue's column ${columns.join(', ')} in ${db} (${reason})`,
        `${columns.join(' and ')} ${columns.length > 1 ? 'allow' : 'allows'} ${limit} characters in this database: use a shorter ${what}, or ask its owner to widen the column`,
        'EDBSCHEMA',
      );
    }
    return make(
      `a value is too long for the catalogue's columns in ${db} (${reason})`,
      "the original's schema allows 250 characters for an image path: use a shorter SREGISTRY_STORAGE or image name",
      'EDBSCHEMA',
    );
  }
  if (code === '42P01' || code === '42703') {
    return make(
      `${db} holds tables of another program (${reason})`,
      'point SREGISTRY_DATABASE at another database, or rename those tables',
      'EDBSCHEMA',
    );
  }
  return cause;
}

/** What the user gave that went into a column, for the fix of a value too long for it. */
const TOO_LONG_WHAT: Record<string, string> = {
  'collection.name': 'collection name',
  'container.name': 'image name',
  'container.tag': 'tag',
  'container.version': 'version',
  'container.url': 'URL',
  'container.uri': 'name (collection/name:tag@version)',
  'container.client': 'client name',
};

/** The error itself when no secret is in it; otherwise a copy whose message and stack have them masked. */
export function scrubbed(target: PostgresTarget, error: unknown): unknown {
  if (!(error instanceof Error)) return typeof error === 'string' ? scrub(target, error) : error;
  const text = `${error.message}\n${error.stack ?? ''}`;
  if (scrub(target, text) === text) return error;
  const copy = new Error(scrub(target, error.message));
  copy.stack = scrub(target, error.stack ?? '');
  Object.assign(copy, { code: errorCode(error) });
  return copy;
}
