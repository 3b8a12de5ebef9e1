import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { catalogTables, checkExistingTables, createMissingTables } from '../schema';
import { NewerSchemaError } from './newer-schema';
import { discardConnection } from './session';

/**
 * The original's two tables (client-spec §5.1), with the index for `images <term>`. A database whose tables a
 * site made by hand (or with the Python client's SQLAlchemy) keeps them: only missing tables are created, and
 * existing ones must have the catalogue's columns.
 */
export class CreateCatalogTables1764633600000 implements MigrationInterface {
  // named explicitly: TypeORM reads the timestamp from the name, and a minifier may rename classes
  name = 'CreateCatalogTables1764633600000';

  async up(runner: QueryRunner): Promise<void> {
    await createMissingTables(runner, 'postgres');
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of catalogTables('postgres').reverse()) await runner.dropTable(table.name, true);
  }
}

export const MIGRATIONS = [CreateCatalogTables1764633600000];

/** TypeORM's record of the migrations run, beside the catalogue's tables. */
export const MIGRATIONS_TABLE = 'sregistry_migrations';

/**
 * Key of the advisory lock that migrations run under. Nodes that start at the same moment queue on it: the
 * first creates the tables, the others find the migration recorded and run nothing. (One bigint key; intent
 * locks use the two-int4 form, a separate key space.)
 */
const MIGRATION_LOCK = 7_235_368_226_041_237_504n; // "dbsregmi" as an int64, for pg_locks readers

/**
 * Runs the pending migrations once, whatever the number of nodes starting together. A session-level advisory
 * lock on a connection of its own (TypeORM's runner for the migrations takes another one from the pool); it
 * goes away with the connection, so a node killed while migrating blocks no one. Each migration runs in its
 * own transaction, so a killed node leaves either the tables and their record, or neither.
 */
export async function migrateOnce(dataSource: DataSource): Promise<void> {
  const lock = dataSource.createQueryRunner();
  let held = false;
  try {
    await lock.connect();
    // a node already up to date needs no lock (TypeORM's own check would create the migrations table)
    if (await upToDate(lock)) return;
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
    held = true;
    // another program's tables of these names: refused before TypeORM creates its migrations table
    await checkExistingTables(lock, 'postgres');
    await dataSource.runMigrations({ transaction: 'each' });
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]);
    held = false;
  } finally {
    if (held) await discardConnection(lock);
    else await lock.release();
  }
}

/**
 * True when every migration is recorded; one query, no table created. Throws NewerSchemaError when one recorded is
 * not this version's.
 */
async function upToDate(runner: QueryRunner): Promise<boolean> {
  const [found] = (await runner.query('SELECT to_regclass($1) IS NOT NULL AS present', [MIGRATIONS_TABLE])) as { present: boolean }[];
  if (!found?.present) return false;
  const done = (await runner.query(`SELECT name FROM "${MIGRATIONS_TABLE}" ORDER BY id`)) as { name: string }[];
  const known = new Set(MIGRATIONS.map((M) => new M().name));
  const unknown = done.find((r) => !known.has(r.name));
  if (unknown) throw new NewerSchemaError(unknown.name);
  const names = new Set(done.map((r) => r.name));
  return MIGRATIONS.every((M) => names.has(new M().name));
}
