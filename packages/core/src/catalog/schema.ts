import { type QueryRunner, Table, TableForeignKey, TableIndex, TableUnique } from 'typeorm';
import { MATCH_INDEX } from './match';

// The tables as the original creates them (client-spec §5.1), described through TypeORM's schema API so the
// DDL is generated for whichever driver backs the catalogue. Used only when a table is missing: an existing
// database (the Python client's) is never altered, which is why `synchronize` is not used. A container table
// we create gets one index the original lacks, for `images <term>` (see match.ts); the Python client ignores it.

/** The engines the catalogue runs on: SQLite (the original's file) and PostgreSQL (a team catalogue). */
export type Dialect = 'sqlite' | 'postgres';

/** The original's SQLAlchemy DateTime: `datetime` in SQLite; in PostgreSQL SQLAlchemy makes it a `timestamp`. */
function timestampType(dialect: Dialect): string {
  return dialect === 'postgres' ? 'timestamp' : 'datetime';
}

function collectionTable(dialect: Dialect): Table {
  return new Table({
    name: 'collection',
    columns: [
      { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
      { name: 'name', type: 'varchar', length: '150', isNullable: true },
      { name: 'token', type: 'varchar', length: '50', isNullable: true },
      { name: 'created_at', type: timestampType(dialect), isNullable: true },
    ],
    uniques: [new TableUnique({ columnNames: ['name'] })],
  });
}

function containerTable(dialect: Dialect): Table {
  return new Table({
    name: 'container',
    columns: [
      { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
      { name: 'created_at', type: timestampType(dialect), isNullable: true },
      { name: 'metrics', type: 'text', isNullable: false },
      { name: 'name', type: 'varchar', length: '250', isNullable: false },
      { name: 'tag', type: 'varchar', length: '250', isNullable: false },
      { name: 'image', type: 'varchar', length: '250', isNullable: true },
      { name: 'url', type: 'varchar', length: '500', isNullable: true },
      { name: 'uri', type: 'varchar', length: '500', isNullable: true },
      { name: 'client', type: 'varchar', length: '50', isNullable: false },
      { name: 'version', type: 'varchar', length: '250', isNullable: true },
      { name: 'collection_id', type: 'integer', isNullable: false },
    ],
    uniques: [new TableUnique({ name: '_container_uc', columnNames: ['collection_id', 'name', 'tag', 'client', 'version'] })],
    foreignKeys: [
      new TableForeignKey({ columnNames: ['collection_id'], referencedTableName: 'collection', referencedColumnNames: ['id'] }),
    ],
    indices: [new TableIndex({ name: MATCH_INDEX, columnNames: ['name', 'tag', 'uri'] })],
  });
}

const CONTAINER_COLUMNS = containerTable('sqlite')
  .columns.map((c) => c.name)
  .join(', ');

/** The original's tables for one engine, in creation order (container refers to collection). */
export function catalogTables(dialect: Dialect): Table[] {
  return [collectionTable(dialect), containerTable(dialect)];
}

/**
 * Creates the tables that are missing, in one transaction. Two processes opening a brand-new file at once
 * may both see "missing"; the loser's CREATE fails (busy or "already exists") and the caller retries, and
 * the retry then finds the tables.
 */
export async function ensureSchema(runner: QueryRunner, dialect: Dialect = 'sqlite'): Promise<void> {
  if ((await missingTables(runner, dialect)).length === 0) return;
  await runner.startTransaction();
  try {
    await createMissingTables(runner, dialect);
    await runner.commitTransaction();
  } catch (error) {
    await runner.rollbackTransaction().catch(() => {});
    throw error;
  }
}

/**
 * The tables that are missing; when none is, checks that the existing ones have the catalogue's columns, so
 * another program's database with tables of these names fails here, in one line, before any file is placed
 * (portable SQL: selecting the columns prepares the statement, LIMIT 0 reads nothing).
 */
async function missingTables(runner: QueryRunner, dialect: Dialect): Promise<Table[]> {
  const missing: Table[] = [];
  for (const table of catalogTables(dialect)) if (!(await runner.hasTable(table.name))) missing.push(table);
  if (missing.length === 0) {
    await runner.query(`SELECT ${CONTAINER_COLUMNS} FROM container LIMIT 0`);
    await runner.query('SELECT id, name, token, created_at FROM collection LIMIT 0');
  }
  return missing;
}

/** Creates the missing tables inside the caller's transaction (the PostgreSQL migration runs in its own). */
export async function createMissingTables(runner: QueryRunner, dialect: Dialect): Promise<void> {
  for (const table of await missingTables(runner, dialect)) await runner.createTable(table, false, true, true);
}

/**
 * Fails (no such column) unless every catalogue table that exists has the catalogue's columns; creates nothing.
 * Run before the PostgreSQL migration, whose record table TypeORM creates before the migration's own transaction:
 * a database of another program is then refused with nothing of sregistry's left in it.
 */
export async function checkExistingTables(runner: QueryRunner, dialect: Dialect): Promise<void> {
  for (const table of catalogTables(dialect)) {
    if (!(await runner.hasTable(table.name))) continue;
    await runner.query(`SELECT ${table.columns.map((c) => c.name).join(', ')} FROM ${table.name} LIMIT 0`);
  }
}
