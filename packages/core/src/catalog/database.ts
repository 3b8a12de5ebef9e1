import { accessSync, constants, existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from '../contracts/database';
import { UserError } from '../errors';
import { DEFAULT_LOCK_TIMEOUT_MS, databaseProblem, type LockWait, withLockWait } from './db-errors';
import { errorCode, isAlreadyExists, isBusy } from './retry';
import { SqliteDatabase } from './sqlite-database';
import { openSqlite } from './sqlite-driver';
import { ensureSqliteSchema } from './sqlite-schema';

export interface OpenDatabaseOptions {
  /**
   * Create a new database file in WAL mode (SREGISTRY_DATABASE_WAL). An existing file is never switched: the
   * journal mode is a property of the file, and WAL does not work on the network file systems HPC homes live on.
   */
  wal?: boolean;
  /** how long to wait for another process's lock, and whom to tell after 2 s (default 30 s, silent) */
  lockWait?: LockWait;
}

/**
 * Opens (creating when missing) the catalogue database at `file`. An existing file keeps its schema and its
 * journal mode: missing tables are created, nothing else is touched. New files use SQLite's rollback journal
 * (the original's default) unless `wal` asks otherwise. Lock waits (a writer excludes readers in rollback mode)
 * last as long as `lockWait` says; foreign keys are enforced. Plain SQL on better-sqlite3 (sqlite-database.ts).
 */
export async function openDatabase(file: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  const absolute = path.resolve(file);
  const isNew = !existsSync(absolute);
  const folder = path.dirname(absolute);
  try {
    await fs.mkdir(folder, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // a file where the folder should be made "does not exist" read like a lie
    const isFile = code === 'EEXIST' || code === 'ENOTDIR';
    throw new UserError(`Database location ${folder} ${isFile ? 'is a file, not a folder' : 'does not exist.'}`, {
      fix: isFile
        ? 'move it away or point SREGISTRY_DATABASE to a folder'
        : `create it or point SREGISTRY_DATABASE to a writable folder (${code ?? 'error'})`,
      code: 'EDBPATH',
      cause: error,
    });
  }
  const lockWait = options.lockWait ?? { timeoutMs: DEFAULT_LOCK_TIMEOUT_MS };
  // a pragma on every open would switch an existing file for good: only a file we create gets WAL, if asked
  const wal = Boolean(options.wal) && isNew;
  let db: BetterSqlite3.Database | undefined;
  await withLockWait(
    absolute,
    lockWait,
    async () => {
      db ??= connect(absolute, wal);
      ensureSqliteSchema(db);
    },
    (e) => isBusy(e) || isAlreadyExists(e),
    (error, waited) => {
      if (db?.open) db.close();
      return openFailure(absolute, error, waited);
    },
  );
  return new SqliteDatabase(db as unknown as BetterSqlite3.Database, absolute, lockWait);
}

/**
 * One connection with what TypeORM's better-sqlite3 driver set before: SQLite's own wait for locks (short: it
 * blocks the event loop; longer waits are retried in JS by withRetry, where they can be told), foreign keys
 * enforced, WAL for a new file that asks for it.
 */
function connect(file: string, wal: boolean): BetterSqlite3.Database {
  const db = openSqlite(file, { timeout: SQLITE_BUSY_MS });
  try {
    db.pragma('foreign_keys = ON');
    if (wal) db.pragma('journal_mode = WAL');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

const SQLITE_BUSY_MS = 500;

function openFailure(file: string, error: unknown, waited?: { waitedMs: number }): unknown {
  const code = errorCode(error) ?? '';
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'EACCES') {
    // permissions are not the problem on a read-only file system (a read-only bind mount, a snapshot)
    if (onReadOnlyFileSystem(path.dirname(file))) {
      return new UserError(`${path.dirname(file)} is on a read-only file system`, {
        fix: 'point SREGISTRY_DATABASE at a folder on a writable file system',
        code: 'EROFS',
        cause: error,
      });
    }
    // the original's words (client-spec §3.2)
    return new UserError(`Insufficient permission to write to ${path.dirname(file)}`, {
      fix: 'fix the folder permissions or set SREGISTRY_DATABASE',
      code: 'EDBPERM',
      cause: error,
    });
  }
  return databaseProblem(file, error, waited);
}

function onReadOnlyFileSystem(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EROFS';
  }
}
