// The engines the catalogue suites run on: SQLite always, PostgreSQL on the testkit's real server (one per test
// process, a fresh database per test). Without PostgreSQL installed the PostgreSQL variants skip and say why,
// except in CI (CI=true), where the testkit's check fails instead (scripts/test.sh installs it).
import { createRequire } from 'node:module';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type * as Pg from 'pg';
import { type PostgresHandle, postgresAvailable, sharedPostgres } from '../../testkit/src/postgres/index';

export type DatabaseKind = 'sqlite' | 'postgres';
export const DATABASE_KINDS: DatabaseKind[] = ['sqlite', 'postgres'];

const requireFromCore = createRequire(path.join(__dirname, '..', 'package.json'));
export const pg = requireFromCore('pg') as typeof Pg;

export interface TestDatabase {
  kind: DatabaseKind;
  /** what openCatalog takes besides the storage folder */
  location: { databaseFile: string; databaseUrl?: string };
  /** PostgreSQL: the server and the database's name */
  server?: PostgresHandle;
  name?: string;
  /** SQL on the catalogue's PostgreSQL database as its owner; rows as objects */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

/** The reason PostgreSQL tests cannot run here, or undefined when they can (in CI its absence throws). */
export function postgresMissing(): string | undefined {
  const available = postgresAvailable();
  return available.ok ? undefined : available.reason;
}

/** Runs SQL through a short-lived pg client on `url` (no pool: nothing stays open after the test). */
export async function queryAt(url: string, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

/**
 * The database for one test: a SQLite file in `dir`, or a fresh PostgreSQL database on the shared server (or on
 * `server` when a test runs its own, to stop it). Undefined when the test was skipped: no PostgreSQL here.
 */
export async function testDatabase(
  t: TestContext,
  kind: DatabaseKind,
  dir: string,
  server?: PostgresHandle,
): Promise<TestDatabase | undefined> {
  const databaseFile = path.join(dir, 'sregistry.db');
  if (kind === 'sqlite') {
    return {
      kind,
      location: { databaseFile },
      query: () => Promise.reject(new Error('raw SQL helpers are for PostgreSQL; use RawDatabase for SQLite')),
    };
  }
  const missing = postgresMissing();
  if (missing) {
    t.skip(`no PostgreSQL: ${missing}`);
    return undefined;
  }
  const handle = server ?? (await sharedPostgres());
  const url = await handle.createDatabase();
  const name = new URL(url).pathname.slice(1);
  t.after(async () => {
    if (handle.running()) await handle.sql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
  });
  return { kind, name, server: handle, location: { databaseFile, databaseUrl: url }, query: (sql, params) => queryAt(url, sql, params) };
}
