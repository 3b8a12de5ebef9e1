import type BetterSqlite3 from 'better-sqlite3';
import { UserError } from '../errors';

let loaded: { Database: typeof BetterSqlite3; nativeBinding?: string } | undefined;

/** A better-sqlite3 connection to `file`, its native part loaded as `loadDriver` found it. */
export function openSqlite(file: string, options: BetterSqlite3.Options = {}): BetterSqlite3.Database {
  const { Database, nativeBinding } = loadDriver();
  return new Database(file, nativeBinding ? { ...options, nativeBinding } : options);
}

/**
 * better-sqlite3 with its native part loaded, for the catalogue and its plain reader alike. Without a native
 * build for this Node (install scripts skipped, no prebuilt binary and no compiler, another Node's ABI) the
 * driver's own error is a dozen lines of tried paths: this says the cause and the fix in one.
 */
function loadDriver(): { Database: typeof BetterSqlite3; nativeBinding?: string } {
  if (loaded) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    const nativeBinding = releaseBuild();
    if (nativeBinding) require(nativeBinding);
    else new Database(':memory:').close(); // the native module is loaded on first use, not by require
    loaded = { Database, nativeBinding };
    return loaded;
  } catch (error) {
    throw nativeModuleMissing(error);
  }
}

/**
 * The native module where npm's install puts it, prebuilt or compiled. Named to the driver, it is loaded from
 * there; otherwise the driver's `bindings` looks for it along ~150 paths first, 1-2 ms of every catalogue command.
 * Any other layout (a debug build, a bundler's) is left to that search.
 */
function releaseBuild(): string | undefined {
  try {
    return require.resolve('better-sqlite3/build/Release/better_sqlite3.node');
  } catch {
    return undefined;
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
