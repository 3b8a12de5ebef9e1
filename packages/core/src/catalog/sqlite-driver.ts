import type BetterSqlite3 from 'better-sqlite3';
import { UserError } from '../errors';

let loaded: typeof BetterSqlite3 | undefined;

/**
 * better-sqlite3 with its native part loaded, for the catalogue and its plain reader alike. Without a native
 * build for this Node (install scripts skipped, no prebuilt binary and no compiler, another Node's ABI) the
 * driver's own error is a dozen lines of tried paths: this says the cause and the fix in one.
 */
export function sqliteDriver(): typeof BetterSqlite3 {
  if (loaded) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    new Database(':memory:').close(); // the native module is loaded on first use, not by require
    loaded = Database;
    return Database;
  } catch (error) {
    throw nativeModuleMissing(error);
  }
}

function nativeModuleMissing(error: unknown): UserError {
  const message = String((error as Error)?.message ?? error);
  const node = `Node ${process.version}, ABI ${process.versions.modules}`;
  const why = /NODE_MODULE_VERSION/.test(message)
    ? `was built for another Node version than this one (${node})`
    : /Cannot find module 'better-sqlite3'/.test(message)
      ? 'is not installed'
      : `has no native build for this Node (${node})`;
  return new UserError(`the SQLite module better-sqlite3 ${why}, so the local catalogue cannot be opened`, {
    fix: 'run: npm rebuild better-sqlite3 (where sregistry is installed), or reinstall with build tools (python3, make, g++)',
    code: 'ESQLITEDRIVER',
    cause: error,
  });
}
