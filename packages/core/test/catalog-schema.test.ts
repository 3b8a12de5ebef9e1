import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { DataSource } from 'typeorm';
import { ORIGINAL_SCHEMA } from '../../testkit/src/fixtures/original-home';
import { openCatalog, openDatabase, recordToJson } from '../src/catalog/index';
import { createMissingTables } from '../src/catalog/schema';
import { parseImageName } from '../src/uri/parse';
import { exists, HELLO_METRICS, HELLO_SHA256, RawDatabase, schemaOf, tempDir, writeImage } from './catalog-helpers';

/** A database as the Python client leaves it: its DDL, a collection and one container row. */
async function pythonDatabase(dir: string, storage: string): Promise<{ file: string; image: string }> {
  const file = path.join(dir, 'db', 'sregistry.db');
  await fs.mkdir(path.dirname(file), { recursive: true });
  const image = await writeImage(storage, `vsoch/hello-world/v1@${HELLO_SHA256}.sif`);
  const db = new RawDatabase(file);
  db.exec(ORIGINAL_SCHEMA);
  db.prepare('INSERT INTO collection (name, token, created_at) VALUES (?, ?, CURRENT_TIMESTAMP)').run(
    'vsoch',
    '0f3c2a52-6d0e-4e55-9a0c-0d8a5c1d2b3e',
  );
  db.prepare(
    'INSERT INTO container (created_at, metrics, name, tag, image, url, uri, client, version, collection_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(
    '2026-11-27 05:30:54',
    JSON.stringify(HELLO_METRICS),
    'hello-world',
    'v1',
    image,
    'vsoch/hello-world',
    `vsoch/hello-world:v1@${HELLO_SHA256}`,
    'hub',
    HELLO_SHA256,
    1,
  );
  db.close();
  return { file, image };
}

test('a database written by the Python client opens, lists, takes new rows and keeps its schema', async (t) => {
  const dir = await tempDir(t);
  const storage = path.join(dir, 'shub');
  const { file, image } = await pythonDatabase(dir, storage);
  const before = schemaOf(file);
  assert.ok(
    before.some((s) => s.includes('CONSTRAINT _container_uc UNIQUE')),
    'fixture has the original constraint',
  );

  const catalog = await openCatalog({ databaseFile: file, storageDir: storage });
  const [old] = await catalog.list();
  assert.equal(old.collection, 'vsoch');
  assert.equal(old.version, HELLO_SHA256);
  assert.equal(old.image, image);
  assert.deepEqual(recordToJson(old), {
    client: 'hub',
    collection: 'vsoch',
    collection_id: 1,
    created_at: '2026-11-27 05:30:54',
    id: 1,
    image,
    metrics: old.metrics,
    name: 'hello-world',
    tag: 'v1',
    uri: `vsoch/hello-world:v1@${HELLO_SHA256}`,
    url: 'vsoch/hello-world',
    version: HELLO_SHA256,
  });
  assert.equal(old.metrics.original, 'vsoch/hello-world:v1');

  const source = await writeImage(dir, 'other.sif', 'another image\n');
  const added = await catalog.add({ file: source, name: parseImageName('vsoch/other:latest'), client: 'registry' });
  assert.equal(added.created, true);
  assert.equal(added.record.collectionId, 1, 'the existing collection row is reused');
  const again = await catalog.add({ file: image, name: parseImageName('vsoch/hello-world:v1'), client: 'hub', copy: true });
  assert.equal(again.created, false);
  assert.equal(again.record.id, 1);
  await catalog.add({ file: await writeImage(dir, 'third.sif', 'third\n'), name: parseImageName('newcoll/x'), client: 'registry' });
  await catalog.close();

  assert.deepEqual(schemaOf(file), before, 'sqlite_master is unchanged');
  // What the Python client reads back: our rows in its format.
  const raw = new RawDatabase(file);
  const rows = raw
    .prepare('SELECT c.*, col.name AS coll, col.token FROM container c JOIN collection col ON col.id = c.collection_id ORDER BY c.id')
    .all();
  const fk = raw.prepare('PRAGMA foreign_key_check').all();
  raw.close();
  assert.equal(rows.length, 3);
  assert.match(String(rows[1].created_at), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  assert.equal(typeof JSON.parse(String(rows[1].metrics)), 'object');
  assert.match(String(rows[2].token), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(rows[2].coll, 'newcoll');
  assert.deepEqual(fk, []);
});

test('a brand-new database gets the original tables (names, columns, constraint) and the pragmas', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'nested', 'folder', 'sregistry.db');
  const db = await openDatabase(file);
  assert.equal(db.url, `sqlite:///${file}`);
  assert.equal(await db.count(), 0);
  await db.close();

  assert.ok(await exists(file), 'the folder was created');
  const raw = new RawDatabase(file);
  const columns = (table: string) =>
    raw
      .prepare(`PRAGMA table_info(${table})`)
      .all()
      .map((c) => `${c.name} ${String(c.type).toLowerCase()} ${c.notnull ? 'not null' : 'null'}`);
  assert.deepEqual(columns('collection'), [
    'id integer not null',
    'name varchar(150) null',
    'token varchar(50) null',
    'created_at datetime null',
  ]);
  assert.deepEqual(columns('container'), [
    'id integer not null',
    'created_at datetime null',
    'metrics text not null',
    'name varchar(250) not null',
    'tag varchar(250) not null',
    'image varchar(250) null',
    'url varchar(500) null',
    'uri varchar(500) null',
    'client varchar(50) not null',
    'version varchar(250) null',
    'collection_id integer not null',
  ]);
  const containerSql = String(raw.prepare("SELECT sql FROM sqlite_master WHERE name = 'container'").get()?.sql);
  assert.match(containerSql, /CONSTRAINT "_container_uc" UNIQUE \("collection_id", "name", "tag", "client", "version"\)/);
  assert.match(containerSql, /FOREIGN KEY \("collection_id"\) REFERENCES "collection" \("id"\)/);
  const fks = raw.prepare('PRAGMA foreign_key_list(container)').all();
  assert.equal(fks[0]?.table, 'collection');
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'delete', "SQLite's rollback journal, as the original's files have");
  raw.close();

  // reopening an existing file is a no-op for the schema
  const before = schemaOf(file);
  await (await openDatabase(file)).close();
  assert.deepEqual(schemaOf(file), before);
});

test("a new file's tables are, statement for statement, what TypeORM's schema API makes of schema.ts", async (t) => {
  // The SQLite catalogue writes its DDL as plain SQL (sqlite-schema.ts) so that it need not load TypeORM; the
  // Table definitions in schema.ts (still what PostgreSQL's tables come from) must keep giving the same tables.
  const dir = await tempDir(t);
  const plain = path.join(dir, 'plain.db');
  await (await openDatabase(plain)).close();
  const viaTypeorm = path.join(dir, 'typeorm.db');
  const dataSource = new DataSource({
    type: 'better-sqlite3',
    driver: RawDatabase,
    database: viaTypeorm,
    synchronize: false,
    logging: false,
  });
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  await runner.startTransaction();
  await createMissingTables(runner, 'sqlite');
  await runner.commitTransaction();
  await runner.release();
  await dataSource.destroy();
  const master = (file: string) => {
    const raw = new RawDatabase(file);
    try {
      return raw.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid').all();
    } finally {
      raw.close();
    }
  };
  assert.deepEqual(master(plain), master(viaTypeorm));
  assert.equal(master(plain).length, 6, 'two tables, their unique indexes, sqlite_sequence and the match index');
});

test("the journal mode is the file's: WAL only for a file created with wal, never switched on an existing one", async (t) => {
  const dir = await tempDir(t);
  const storage = path.join(dir, 'shub');
  const journalMode = (file: string) => {
    const raw = new RawDatabase(file);
    try {
      return raw.pragma('journal_mode', { simple: true });
    } finally {
      raw.close();
    }
  };
  const { file: python } = await pythonDatabase(dir, storage);
  for (const wal of [false, true]) {
    const catalog = await openCatalog({ databaseFile: python, storageDir: storage, wal });
    await catalog.add({ file: await writeImage(dir, `w${wal}.sif`, `wal ${wal}\n`), name: parseImageName(`vsoch/w${wal}`), client: 'hub' });
    await catalog.close();
    assert.equal(journalMode(python), 'delete', `an existing rollback-journal file stays one (wal: ${wal})`);
  }

  const created = path.join(dir, 'wal', 'sregistry.db');
  await (await openDatabase(created, { wal: true })).close();
  assert.equal(journalMode(created), 'wal', 'SREGISTRY_DATABASE_WAL: a new file is made in WAL mode');
  await (await openDatabase(created)).close();
  assert.equal(journalMode(created), 'wal', 'and opening it later without the setting does not switch it back');
});

test('an unreadable database file is a UserError, not a stack', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'sregistry.db');
  await fs.writeFile(file, 'this is not sqlite, just text that is long enough to be read as a header'.repeat(20));
  await assert.rejects(openDatabase(file), (e: Error) => e.name === 'UserError' && /not a usable sregistry database/.test(e.message));
});
