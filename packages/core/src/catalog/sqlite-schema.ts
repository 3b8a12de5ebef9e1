import type BetterSqlite3 from 'better-sqlite3';
import { foreignDatabase } from './db-errors';
import { MATCH_INDEX } from './match';

// The original's two tables (client-spec §5.1) in SQLite, as plain SQL: the same statements, byte for byte, that
// TypeORM's schema API generated from schema.ts for SQLite until the SQLite catalogue stopped loading TypeORM
// (its constraint names are the hashes TypeORM gave them), so new files are what they were. Used only when a table
// is missing: an existing database (the Python client's) is never altered. A container table we create gets one
// index the original lacks, for `images <term>` (see match.ts); the Python client ignores it. PostgreSQL's tables
// still come from schema.ts.
const TABLES: { name: string; create: string[] }[] = [
  {
    name: 'collection',
    create: [
      'CREATE TABLE "collection" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(150), "token" varchar(50), "created_at" datetime, CONSTRAINT "UQ_926e7bdc3f52cd582078a379f1b" UNIQUE ("name"))',
    ],
  },
  {
    name: 'container',
    create: [
      'CREATE TABLE "container" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "created_at" datetime, "metrics" text NOT NULL, "name" varchar(250) NOT NULL, "tag" varchar(250) NOT NULL, "image" varchar(250), "url" varchar(500), "uri" varchar(500), "client" varchar(50) NOT NULL, "version" varchar(250), "collection_id" integer NOT NULL, CONSTRAINT "_container_uc" UNIQUE ("collection_id", "name", "tag", "client", "version"), CONSTRAINT "FK_d927581c2b1267aca9fc4633f4d" FOREIGN KEY ("collection_id") REFERENCES "collection" ("id"))',
      `CREATE INDEX "${MATCH_INDEX}" ON "container" ("name", "tag", "uri") `,
    ],
  },
];

/** The container table's columns, in the original's order. */
export const CONTAINER_COLUMNS = 'id, created_at, metrics, name, tag, image, url, uri, client, version, collection_id';

/**
 * Creates the tables that are missing, in one transaction, in a file that holds no other tables: an empty (new)
 * file, or a catalogue that lacks one of its two tables. Another program's database (tables of other names, or
 * of these names with other columns) is refused before anything is written to it. Two processes opening a
 * brand-new file at once may both see "missing"; the loser's CREATE fails (busy or "already exists") and the
 * caller retries, and the retry then finds the tables.
 */
export function ensureSqliteSchema(db: BetterSqlite3.Database): void {
  if (missingTables(db).length === 0) return;
  db.exec('BEGIN TRANSACTION');
  try {
    for (const table of missingTables(db)) for (const sql of table.create) db.exec(sql);
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/**
 * The tables that are missing, after checking that the file is the catalogue's: the tables there have the
 * catalogue's columns (preparing the statement checks them, LIMIT 0 reads nothing), and when a table is missing
 * no table of another name is there (SQLite's own `sqlite_*` aside).
 */
function missingTables(db: BetterSqlite3.Database): typeof TABLES {
  const names = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
    .pluck()
    .all() as string[];
  const missing = TABLES.filter((table) => !names.includes(table.name));
  const others = names.filter((name) => !TABLES.some((table) => table.name === name));
  if (missing.length > 0 && others.length > 0) {
    const listed = `${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''}`;
    throw foreignDatabase(db.name, `it has table ${listed} but no ${missing.map((t) => t.name).join(' or ')} table`);
  }
  try {
    if (names.includes('container')) db.prepare(`SELECT ${CONTAINER_COLUMNS} FROM container LIMIT 0`).all();
    if (names.includes('collection')) db.prepare('SELECT id, name, token, created_at FROM collection LIMIT 0').all();
  } catch (error) {
    if (!/no such column/.test(String((error as Error)?.message))) throw error;
    throw foreignDatabase(db.name, String((error as Error).message), error);
  }
  return missing;
}
