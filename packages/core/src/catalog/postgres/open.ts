import { DataSource, type EntityManager, type Logger } from 'typeorm';
import type { Database } from '../../contracts/database';
import { UserError } from '../../errors';
import { printable } from '../../output/untrusted';
import { DEFAULT_LOCK_TIMEOUT_MS, type LockWait } from '../db-errors';
import { CollectionEntity, ContainerEntity } from '../entities';
import { SqlDatabase } from '../sql-database';
import { catalogTypes, pgDriver } from './driver';
import { postgresProblem } from './errors';
import { AdvisoryLiveness } from './liveness';
import { MIGRATIONS, MIGRATIONS_TABLE, migrateOnce } from './migrations';
import { type PostgresTarget, postgresTarget } from './target';

export interface OpenPostgresOptions {
  /** how long a statement waits for another session's row lock (default 30 s) */
  lockWait?: LockWait;
  /** where PGPASSWORD comes from (its value is masked in every message) */
  env?: Record<string, string | undefined>;
}

const SILENT_LOGGER: Logger = {
  logQuery: () => {},
  logQueryError: () => {},
  logQuerySlow: () => {},
  logSchemaBuild: () => {},
  logMigration: () => {},
  log: () => {},
};

/** A server that does not answer in this time (a black-holed host) fails in one line instead of hanging. */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * A node stopped inside a transaction (suspended, or cut off the network) would hold its row locks for good: the
 * server ends such a session after this long, which releases them.
 */
const IDLE_IN_TRANSACTION_MS = 60_000;

/**
 * Opens the catalogue in a PostgreSQL database (SREGISTRY_DATABASE=postgresql://…), running the schema
 * migration once if this database has never seen one. The URL is read as libpq reads it (location.ts): the
 * password may also come from PGPASSWORD or ~/.pgpass, and `sslmode` is honoured.
 */
export async function openPostgresDatabase(url: string, options: OpenPostgresOptions = {}): Promise<Database> {
  const target = postgresTarget(url, options.env);
  const lockWait = options.lockWait ?? { timeoutMs: DEFAULT_LOCK_TIMEOUT_MS };
  const pg = pgDriver();
  const dataSource = new DataSource({
    type: 'postgres',
    driver: pg,
    entities: [CollectionEntity, ContainerEntity],
    migrations: MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    synchronize: false,
    logging: false,
    // TypeORM writes some lines whatever `logging` says (a failed migration, to stdout): a command's output is
    // its own, so every failure reaches the user as the one line postgresProblem makes, and nothing else
    logger: SILENT_LOGGER,
    applicationName: 'sregistry',
    connectTimeoutMS: CONNECT_TIMEOUT_MS,
    // one connection for the rows, one for the intents' locks, one for the migration lock
    poolSize: 3,
    // a lost idle connection is reported by the next query that needs it, as one line; pg would otherwise print it
    poolErrorHandler: () => {},
    extra: {
      ...target.config,
      types: catalogTypes(pg),
      // lock waits end on the server (55P03: one line) after the same time a SQLite lock wait does
      options: `-c lock_timeout=${Math.max(1, Math.round(lockWait.timeoutMs))} -c idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_MS}`,
    },
  });
  try {
    await dataSource.initialize();
    await migrateOnce(dataSource);
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => {});
    throw postgresProblem(target, error);
  }
  return new SqlDatabase(
    dataSource,
    {
      url: target.display,
      problem: (error, lock) => postgresProblem(target, error, lock),
      lockNotice: (timeoutMs) =>
        `the catalogue database ${target.display} is busy with other sessions; waiting up to ${Math.round(timeoutMs / 1000)} s (SREGISTRY_DATABASE_TIMEOUT)`,
      serverLockNotice: async (timeoutMs) => {
        const holder = await lockHolder(pg, dataSource, target);
        return holder === undefined
          ? undefined
          : `the catalogue database ${target.display} is locked by ${holder}; waiting up to ${Math.round(timeoutMs / 1000)} s (SREGISTRY_DATABASE_TIMEOUT)`;
      },
      checkWritable: (manager) => checkWritable(manager, target),
      liveness: new AdvisoryLiveness(dataSource),
    },
    lockWait,
  );
}

/**
 * Who holds the lock a session of this connection pool waits for: `session pid 123 (psql)` (the application name
 * when the server shows it to this role); undefined when no session of the pool is waiting for a lock. Asked on a connection of its own, made only then:
 * the pool's may all be busy (one of them is the one waiting).
 */
async function lockHolder(pg: ReturnType<typeof pgDriver>, dataSource: DataSource, target: PostgresTarget): Promise<string | undefined> {
  // pg's Pool keeps its clients in _clients, each with its server process id once connected
  const pool = (dataSource.driver as unknown as { master?: { _clients?: { processID?: unknown }[] } }).master;
  const pids = (pool?._clients ?? []).map((client) => client.processID).filter((pid): pid is number => Number.isInteger(pid));
  if (pids.length === 0) return undefined;
  const client = new pg.Client({ ...target.config, connectionTimeoutMillis: 5_000, application_name: 'sregistry' });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ pid: number; application_name: string | null }>(
      `SELECT a.pid, a.application_name FROM pg_stat_activity a
        WHERE a.pid IN (SELECT unnest(pg_blocking_pids(w)) FROM unnest($1::int[]) AS w) ORDER BY a.pid LIMIT 1`,
      [pids],
    );
    const [row] = rows;
    if (!row) return undefined;
    const app = row.application_name ? printable(row.application_name, { max: 60 }) : '';
    return `session pid ${row.pid}${app ? ` (${app})` : ''}`;
  } finally {
    await client.end().catch(() => {});
  }
}

const PRIVILEGES: [table: string, privilege: string][] = [
  ['collection', 'SELECT'],
  ['collection', 'INSERT'],
  ['collection', 'UPDATE'],
  ['container', 'SELECT'],
  ['container', 'INSERT'],
  ['container', 'UPDATE'],
  ['container', 'DELETE'],
];

/**
 * A role that may only read (a site's read-only account) learns it before any file is placed, in one line
 * naming what it lacks. has_table_privilege with several privileges is true when any is held, so one each.
 */
async function checkWritable(manager: EntityManager, target: PostgresTarget): Promise<void> {
  const checks = PRIVILEGES.map(([table, privilege], i) => `has_table_privilege('${table}', '${privilege}') AS p${i}`);
  const sequences = ['collection', 'container'].map(
    (table, i) => `COALESCE(has_sequence_privilege(pg_get_serial_sequence('${table}', 'id'), 'USAGE'), true) AS s${i}`,
  );
  const [row] = (await manager.query(`SELECT current_user AS who, ${[...checks, ...sequences].join(', ')}`)) as Record<string, unknown>[];
  const missing = PRIVILEGES.filter((_, i) => row?.[`p${i}`] !== true).map(([table, privilege]) => `${privilege} on ${table}`);
  if (row?.s0 !== true || row?.s1 !== true) missing.push('USAGE on the id sequences');
  if (missing.length === 0) return;
  throw new UserError(`${String(row?.who ?? 'this user')} may not change the catalogue in ${target.display} (no ${missing.join(', ')})`, {
    fix: 'ask the database owner to GRANT SELECT, INSERT, UPDATE, DELETE ON collection, container and USAGE ON their sequences',
    code: 'EDBPERM',
  });
}
