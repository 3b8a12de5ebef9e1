import type * as Pg from 'pg';
import { UserError } from '../../errors';

let loaded: typeof Pg | undefined;

/**
 * The `pg` module for TypeORM's postgres driver, given to it explicitly: the catalogue bundle keeps database
 * drivers outside (scripts/bundle.js), and TypeORM's own lookup would search from inside the bundle. The same
 * module serves a plain-SQL reader. `pg` is pure JavaScript, so only a broken install lacks it.
 */
export function pgDriver(): typeof Pg {
  if (loaded) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('pg') as typeof Pg;
    return loaded;
  } catch (error) {
    throw new UserError('the PostgreSQL module pg is not installed, so the team catalogue cannot be opened', {
      fix: 'reinstall sregistry (npm install -g @sregistry/cli), or point SREGISTRY_DATABASE at a folder',
      code: 'EPGDRIVER',
      cause: error,
    });
  }
}

/** OID of PostgreSQL's `timestamp` (without time zone), the type of the `created_at` columns. */
const TIMESTAMP_OID = 1114;

/**
 * Type parsers for a connection: `created_at` comes back as the database's text (`2024-01-02 03:04:05`), as
 * SQLite gives it, instead of a Date in the local time zone of the node that reads it (the value is UTC).
 */
export function catalogTypes(pg: typeof Pg): { getTypeParser: typeof Pg.types.getTypeParser } {
  const getTypeParser = ((oid: number, format?: string) =>
    oid === TIMESTAMP_OID ? (text: string) => text : pg.types.getTypeParser(oid, format as 'text')) as typeof Pg.types.getTypeParser;
  return { getTypeParser };
}
