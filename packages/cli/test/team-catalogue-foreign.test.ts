// A PostgreSQL database that is not this sregistry's catalogue: another program's tables of the catalogue's names
// (refused in one line, with nothing of sregistry's left in it, and no TypeORM line on stdout or stderr), and one
// made by a newer sregistry (a migration this version does not know: refused in one line naming the upgrade).
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

  test('a database made by a newer sregistry: one line naming the upgrade, nothing written', async () => {
    const url = await pg.createDatabase();
    const env = { SREGISTRY_DATABASE: url };
    const first = await cli.run(['images'], { env });
    assert.equal(first.code, 0, first.stderr);
    const db = dbName(url);
    // what a newer version's migration would have done: a column this version does not fill, and its record
    await pg.sql(
      `ALTER TABLE container ADD COLUMN owner text NOT NULL;
       INSERT INTO sregistry_migrations (timestamp, name) VALUES (1799999999999, 'AddOwner1799999999999')`,
      db,
    );
    for (const args of [['add', '--copy', 'a.sif', '--name', 'a/b:1'], ['images'], ['get', 'a/b:1']]) {
      const r = await cli.run(args, { env });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(
        r.stderr,
        /^ERROR the catalogue database postgresql:\/\/\S+ was made by a newer sregistry \(migration AddOwner1799999999999 is unknown to this version\); upgrade sregistry\n$/,
        args.join(' '),
      );
    }
    assert.equal(await pg.sql('SELECT count(*) FROM container', db), '0');
  });

  test('a column narrower than the value: the message names that column, not the image path', async () => {
    const url = await pg.createDatabase();
    const env = { SREGISTRY_DATABASE: url };
    assert.equal((await cli.run(['images'], { env })).code, 0);
    await pg.sql('ALTER TABLE container ALTER COLUMN version TYPE varchar(10)', dbName(url));
    const r = await cli.run(['add', '--copy', 'a.sif', '--name', 'a/b:1'], { env });
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /^ERROR a value is too long for the catalogue's column container\.version in postgresql:\/\/\S+ \(value too long for type character varying\(10\)\); container\.version allows 10 characters in this database: use a shorter version, or ask its owner to widen the column\n$/,
    );
  });
});
