// The time a lock wait reports is whole seconds rounded down: the message never says it waited longer than it did.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { databaseProblem } from '../src/catalog/db-errors';
import { postgresProblem } from '../src/catalog/postgres/errors';
import { postgresTarget } from '../src/catalog/postgres/target';

const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
const lockTimeout = Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' });

test('a lock wait of 4.6 s against a 4 s timeout says it waited 4 s, a short one 1 s', () => {
  for (const [waitedMs, shown] of [
    [4_600, 4],
    [4_999, 4],
    [5_000, 5],
    [200, 1],
  ] as const) {
    const sqlite = databaseProblem('/tmp/x/sregistry.db', busy, { waitedMs }) as Error;
    assert.match(sqlite.message, new RegExp(`\\(waited ${shown} s\\)$`), `SQLite ${waitedMs} ms`);
    const pg = postgresProblem(postgresTarget('postgresql://u@127.0.0.1:5432/db', {}), lockTimeout, { waitedMs }) as Error;
    assert.match(pg.message, new RegExp(`\\(waited ${shown} s\\)$`), `PostgreSQL ${waitedMs} ms`);
  }
});
