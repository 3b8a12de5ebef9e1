// The PostgreSQL plain reader names the schema's last migration without loading TypeORM: it must be the one the
// full catalogue runs last, or the reader would read a schema the full catalogue has still to migrate.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIGRATIONS } from '../src/catalog/postgres/migrations';
import { KNOWN_MIGRATIONS, LATEST_MIGRATION } from '../src/catalog/reader-postgres';

test("the reader's latest migration is the catalogue's last", () => {
  const Last = MIGRATIONS.at(-1);
  assert.ok(Last);
  assert.equal(new Last().name, LATEST_MIGRATION);
});

test("the reader's known migrations are the catalogue's, in order", () => {
  assert.deepEqual(
    MIGRATIONS.map((M) => new M().name),
    KNOWN_MIGRATIONS,
  );
});
