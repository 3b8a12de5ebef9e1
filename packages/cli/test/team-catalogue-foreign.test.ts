// A PostgreSQL database that is not this sregistry's catalogue: another program's tables of the catalogue's names
// (refused in one line, with nothing of sregistry's left in it, and no TypeORM line on stdout or stderr).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type PostgresHandle, postgresAvailable, sampleSif, sharedPostgres } from '@sregistry/testkit';
import { cliInTempHome } from './helpers';

const available = postgresAvailable();
const skip = available.ok ? false : available.reason;

describe('team catalogue in a database that is not this sregistry’s', { skip }, () => {
  let pg: PostgresHandle;
  let cli: ReturnType<typeof cliInTempHome>;

  before(async () => {
    pg = await sharedPostgres();
    cli = cliInTempHome();
    await sampleSif(path.join(cli.home, 'a.sif'));
  });
  after(() => cli?.cleanup());

  const dbName = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));

  test("another program's collection/container tables: one line, valid JSON, nothing created", async () => {
    const url = await pg.createDatabase();
    const db = dbName(url);
    await pg.sql(
      `CREATE TABLE collection(id serial primary key, name text); CREATE TABLE container(id serial primary key, name text, collection_id int);
       GRANT ALL ON ALL TABLES IN SCHEMA public TO ${pg.user}; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${pg.user};`,
      db,
    );
    const env = { SREGISTRY_DATABASE: url };
    const json = await cli.run(['images', '--json'], { env });
    assert.equal(json.code, 1, json.stdout + json.stderr);
    const parsed = JSON.parse(json.stdout) as { error: { code: string; message: string } };
    assert.equal(parsed.error.code, 'EDBSCHEMA');
    assert.match(parsed.error.message, /holds tables of another program \(column "\w+" does not exist\)/);
    assert.doesNotMatch(json.stdout + json.stderr, /Migration|CreateCatalogTables/);
    for (const args of [['images'], ['add', '--copy', 'a.sif', '--name', 'a/b:1']]) {
      const r = await cli.run(args, { env });
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        /^ERROR postgresql:\/\/\S+ holds tables of another program \(column "\w+" does not exist\); point SREGISTRY_DATABASE at another database, or rename those tables\n$/,
      );
    }
    const tables = await pg.sql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'", db);
    assert.equal(tables, 'collection,container', 'the refused database keeps only its own tables');
  });
});
