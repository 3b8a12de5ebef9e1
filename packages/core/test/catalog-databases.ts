// The engines the catalogue suites run on: SQLite always, PostgreSQL on a real server. Each PostgreSQL test gets
// a database of its own on one server per test process, dropped afterwards. The server is the one named by
// SREGISTRY_TEST_POSTGRES_URL (a role that may create databases), else one the testkit starts on 127.0.0.1.
// Without either, the PostgreSQL variants skip and say why, except in CI (CI=true), where they fail.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type * as Pg from 'pg';

export type DatabaseKind = 'sqlite' | 'postgres';
export const DATABASE_KINDS: DatabaseKind[] = ['sqlite', 'postgres'];

const requireFromCore = createRequire(path.join(__dirname, '..', 'package.json'));
export const pg = requireFromCore('pg') as typeof Pg;

interface Server {
  /** URL of a role that may create databases and roles */
  adminUrl: string;
  stop?: () => Promise<void>;
}

let server: Promise<Server | string> | undefined;

/** The server, or why there is none. */
function postgresServer(): Promise<Server | string> {
  server ??= (async (): Promise<Server | string> => {
    const given = process.env.SREGISTRY_TEST_POSTGRES_URL;
    if (given) return { adminUrl: given };
    let testkit: { startPostgres?: () => Promise<{ url: string; stop(): Promise<void> }> };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      testkit = require('../../testkit/src/index') as typeof testkit;
    } catch (error) {
      return `the testkit could not be loaded (${(error as Error).message.split('\n')[0]})`;
    }
    if (!testkit.startPostgres) return 'the testkit has no PostgreSQL server helper';
    try {
      const started = await testkit.startPostgres();
      process.once('beforeExit', () => void started.stop().catch(() => {}));
      return { adminUrl: started.url, stop: () => started.stop() };
    } catch (error) {
      return `no PostgreSQL server could be started (${(error as Error).message.split('\n')[0]})`;
    }
  })();
  return server;
}

/** Runs one admin statement (CREATE DATABASE cannot run inside a transaction, so no pool, one client). */
export async function adminQuery(sql: string, params: unknown[] = []): Promise<Pg.QueryResult> {
  const found = await postgresServer();
  if (typeof found === 'string') throw new Error(found);
  const client = new pg.Client({ connectionString: found.adminUrl });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** A URL for `database` on the test server as `user` (default: the admin role). */
export async function databaseUrl(database: string, login?: { user: string; password: string }): Promise<string> {
  const found = await postgresServer();
  if (typeof found === 'string') throw new Error(found);
  const u = new URL(found.adminUrl);
  u.pathname = `/${database}`;
  if (login) {
    u.username = login.user;
    u.password = login.password;
  }
  return u.toString();
}

export interface TestDatabase {
  kind: DatabaseKind;
  /** what openCatalog takes besides the storage folder */
  location: { databaseFile: string; databaseUrl?: string };
  /** for raw checks on PostgreSQL: the database's name */
  name?: string;
  /** SQL on the catalogue's database (PostgreSQL only), as the admin role */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

/**
 * The database for one test: a SQLite file in `dir`, or a fresh PostgreSQL database. Returns undefined (the test
 * was skipped with the reason) when PostgreSQL is not available outside CI.
 */
export async function testDatabase(t: TestContext, kind: DatabaseKind, dir: string): Promise<TestDatabase | undefined> {
  const databaseFile = path.join(dir, 'sregistry.db');
  if (kind === 'sqlite') {
    return {
      kind,
      location: { databaseFile },
      query: () => Promise.reject(new Error('raw SQL helpers are for PostgreSQL; use RawDatabase for SQLite')),
    };
  }
  const found = await postgresServer();
  if (typeof found === 'string') {
    if (process.env.CI === 'true') throw new Error(`PostgreSQL is required in CI: ${found}`);
    t.skip(`no PostgreSQL: ${found}`);
    return undefined;
  }
  const name = `sregistry_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  t.after(() => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => {}));
  const url = await databaseUrl(name);
  return {
    kind,
    name,
    location: { databaseFile, databaseUrl: url },
    query: async (sql, params = []) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    },
  };
}
