import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { type ErrorCode, UserError } from '../errors';
import { errorCode, isBusy, withRetry } from './retry';

/** How long a command waits for another process's lock on the database, and whom it tells. */
export interface LockWait {
  timeoutMs: number;
  /** called once, after LOCK_NOTICE_MS of waiting, with a line for the user */
  onWait?: (message: string) => void;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
/** waits shorter than this are normal contention and stay silent */
export const LOCK_NOTICE_MS = 2_000;

export function lockNotice(file: string, timeoutMs: number): string {
  return `the catalogue database ${file} is locked by ${lockHolder(file) ?? 'another process'}; waiting up to ${Math.round(timeoutMs / 1000)} s (SREGISTRY_DATABASE_TIMEOUT)`;
}

/**
 * A database failure as one line the user can act on, or the error unchanged when it is not one of these:
 * a lock held past the timeout, a full disk (SQLITE_FULL), a failing or full disk (SQLITE_IOERR: "disk I/O
 * error"), a read-only file, a file that is not SQLite, and a SQLite file whose tables are not the catalogue's.
 */
export function databaseProblem(file: string, error: unknown, lock?: { waitedMs: number }): unknown {
  if (error instanceof UserError) return error;
  const code = errorCode(error) ?? '';
  const message = String((error as Error)?.message ?? '');
  const make = (text: string, fix: string, userCode: ErrorCode) => new UserError(text, { fix, code: userCode, cause: error });
  if (isBusy(error)) {
    // whole seconds down: a wait of 4.6 s against a 4 s timeout did not wait 5 s
    const waited = lock ? ` (waited ${Math.max(1, Math.floor(lock.waitedMs / 1000))} s)` : '';
    return make(
      `the catalogue database ${file} is locked by ${lockHolder(file) ?? 'another process'}${waited}`,
      'try again when that process is done, or wait longer with SREGISTRY_DATABASE_TIMEOUT=<seconds>',
      'EDBLOCKED',
    );
  }
  if (code === 'SQLITE_FULL') {
    return make(
      `no space left on the disk of ${path.dirname(file)} (the catalogue database)`,
      'free some space, or point SREGISTRY_DATABASE at another disk',
      'ENOSPC',
    );
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return make(
      `the catalogue database ${file} could not be written (disk I/O error: the disk is full or failing)`,
      'free some space or check the disk, or point SREGISTRY_DATABASE at another folder',
      'EDBIO',
    );
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return make(
      `the catalogue database ${file} is read-only`,
      'fix its permissions, or point SREGISTRY_DATABASE at a writable folder',
      'EDBPERM',
    );
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return make(`${file} is not a usable sregistry database`, 'move it away or set SREGISTRY_DATABASE to another folder', 'EDBCORRUPT');
  }
  if (/no such (column|table)|has no column named/.test(message)) {
    return foreignDatabase(file, message.replace(/^.*?(no such|has no)/, '$1'), error);
  }
  return error;
}

/** A SQLite file whose tables are not the catalogue's: refused, left as it was. */
export function foreignDatabase(file: string, detail: string, cause?: unknown): UserError {
  return new UserError(`${file} is a SQLite database of another program (${detail.slice(0, 80)})`, {
    fix: 'point SREGISTRY_DATABASE at another folder, or move the file away',
    code: 'EDBSCHEMA',
    cause,
  });
}

/**
 * Who holds a lock on `file`, from /proc/locks (Linux): `pid 123 (sqlite3)`; undefined when unknown (another
 * OS, a lock over NFS, or the holder is this process).
 */
function lockHolder(file: string): string | undefined {
  try {
    const ino = statSync(file, { bigint: true }).ino;
    for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
      const fields = line.trim().split(/\s+/);
      const where = fields[5]?.split(':');
      const pid = Number(fields[4]);
      if (where?.length !== 3 || BigInt(Number.parseInt(where[2]!, 10)) !== ino || !pid || pid === process.pid) continue;
      let name = '';
      try {
        name = readFileSync(`/proc/${pid}/comm`, 'utf8')
          .trim()
          .replace(/[^\x20-\x7e]/g, '?');
      } catch {
        // gone meanwhile, or not ours to read
      }
      return `pid ${pid}${name ? ` (${name})` : ''}`;
    }
  } catch {
    // no /proc/locks here
  }
  return undefined;
}

/**
 * `work` under the catalogue's lock wait: retried while another process holds the lock (up to the timeout, with
 * the notice after LOCK_NOTICE_MS), and a failure made the one line of `failure` (databaseProblem by default),
 * told how long it waited. One wait for the full catalogue, its opening and the plain reader alike.
 */
export async function withLockWait<T>(
  file: string,
  lockWait: LockWait,
  work: () => Promise<T>,
  retryable: (error: unknown) => boolean = isBusy,
  failure: (error: unknown, waited?: { waitedMs: number }) => unknown = (error, waited) => databaseProblem(file, error, waited),
): Promise<T> {
  let waited: { waitedMs: number } | undefined;
  try {
    return await withRetry(work, retryable, {
      busyTimeoutMs: lockWait.timeoutMs,
      noticeAfterMs: LOCK_NOTICE_MS,
      onBusyWait: () => lockWait.onWait?.(lockNotice(file, lockWait.timeoutMs)),
      onGiveUp: (ms) => {
        waited = { waitedMs: ms };
      },
    });
  } catch (error) {
    throw failure(error, waited);
  }
}
