// The catalogue in PostgreSQL (a team catalogue): schema by a migration run once, however many nodes start
// together; failures of the server, the login or the role's privileges as one line that never shows the
// password; nothing placed in storage when the database refuses.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { startPostgres } from '../../testkit/src/postgres/index';
import { openCatalog } from '../src/catalog/index';
import { isUserError } from '../src/errors';
import { parseImageName } from '../src/uri/parse';
import { postgresMissing, testDatabase } from './catalog-databases';
import { exists, HELLO_SHA256, tempDir, writeImage } from './catalog-helpers';

const repoRoot = path.resolve(__dirname, '../../..');

test('four nodes opening a new PostgreSQL database at once: the migration runs once, the tables are the original ones', async (t) => {
  const dir = await tempDir(t);
  const db = await testDatabase(t, 'postgres', dir);
  if (!db) return;
  const script = path.join(dir, 'opener.ts');
  await fs.writeFile(
    script,
    `import { openCatalog } from ${JSON.stringify(path.resolve(__dirname, '../src/catalog/index'))};
openCatalog({ databaseFile: 'unused', databaseUrl: process.argv[2], storageDir: process.argv[3] })
  .then((c) => c.close())
  .catch((error) => { console.error(error); process.exit(1); });
`,
  );
  const runs = Array.from({ length: 4 }, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, db.location.databaseUrl as string, path.join(dir, 'shub')], {
      cwd: repoRoot,
      env: { ...process.env, TSX_TSCONFIG_PATH: path.join(repoRoot, 'tsconfig.base.json') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    return new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  });
  for (const [i, r] of (await Promise.all(runs)).entries()) assert.equal(r.code, 0, `node ${i} failed:\n${r.stderr}`);
  const migrations = await db.query('SELECT name FROM sregistry_migrations');
  assert.deepEqual(
    migrations.map((r) => r.name),
    ['CreateCatalogTables1764633600000'],
    'recorded once',
  );
  const columns = await db.query(
    `SELECT table_name, column_name, data_type, character_maximum_length AS len, is_nullable
     FROM information_schema.columns WHERE table_name IN ('collection', 'container') ORDER BY table_name, ordinal_position`,
  );
  assert.deepEqual(
    columns.map(
      (c) => `${c.table_name}.${c.column_name} ${c.data_type}${c.len ? `(${c.len})` : ''}${c.is_nullable === 'NO' ? ' not null' : ''}`,
    ),
    [
      'collection.id integer not null',
      'collection.name character varying(150)',
      'collection.token character varying(50)',
      'collection.created_at timestamp without time zone',
      'container.id integer not null',
      'container.created_at timestamp without time zone',
      'container.metrics text not null',
      'container.name character varying(250) not null',
      'container.tag character varying(250) not null',
      'container.image character varying(250)',
      'container.url character varying(500)',
      'container.uri character varying(500)',
      'container.client character varying(50) not null',
      'container.version character varying(250)',
      'container.collection_id integer not null',
    ],
  );
  const unique = await db.query(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = '_container_uc'`);
  assert.deepEqual(unique, [{ def: 'UNIQUE (collection_id, name, tag, client, version)' }]);
});

test('on PostgreSQL, add, find and list work as on SQLite; created_at is the original text in UTC', async (t) => {
  const dir = await tempDir(t);
  const db = await testDatabase(t, 'postgres', dir);
  if (!db) return;
  const storage = path.join(dir, 'shub');
  const catalog = await openCatalog({ ...db.location, storageDir: storage });
  t.after(() => catalog.close());
  const file = await writeImage(dir, 'hello.sif');
  const { record, created, path: stored } = await catalog.add({ file, name: parseImageName('vsoch/hello-world:v1'), client: 'hub' });
  assert.equal(created, true);
  assert.equal(stored, path.join(storage, 'vsoch', 'hello-world', `v1@${HELLO_SHA256}.sif`));
  assert.ok(Math.abs(record.createdAt.getTime() - Date.now()) < 5_000, 'created_at is UTC now');
  const again = await catalog.add({ file: stored, name: parseImageName('vsoch/hello-world:v1'), client: 'registry', copy: true });
  assert.equal(again.created, false);
  assert.equal(again.record.id, record.id);
  assert.equal((await catalog.find(parseImageName('vsoch/hello-world:v1')))?.client, 'registry');
  assert.deepEqual(
    (await catalog.list('HELLO')).map((r) => r.name),
    ['hello-world'],
    'images <term> ignores case, as SQLite does',
  );
  assert.deepEqual(
    (await catalog.list('hello_')).map((r) => r.name),
    ['hello-world'],
    'an underscore is any one character, as in the original (SQLite) LIKE',
  );
  assert.deepEqual(await catalog.list('hello\\'), [], 'a backslash is literal, not PostgreSQL LIKE escape');
  const [raw] = await db.query('SELECT created_at::text AS t, uri FROM container');
  assert.match(String(raw?.t), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  assert.equal(raw?.uri, `vsoch/hello-world:v1@${HELLO_SHA256}`);
});

test('an unreachable server, a wrong password, a missing database: one line each, the password never shown', async (t) => {
  const dir = await tempDir(t);
  const db = await testDatabase(t, 'postgres', dir);
  if (!db) return;
  const server = db.server!;
  const role = `sreg_${Date.now().toString(36)}`;
  const password = 'Secret-Pass-4242';
  await server.sql(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  t.after(() => server.sql(`DROP ROLE IF EXISTS ${role}`).then(() => {}));
  const good = server.urlFor(db.name as string, { user: role, password });
  const wrong = good.replace(password, 'Wrong-Pass-4242');
  const closedPort = new URL(good);
  closedPort.port = '1'; // nothing listens on port 1
  const missing = new URL(good);
  missing.pathname = '/sregistry_no_such_db';
  const cases: [string, string, RegExp][] = [
    [wrong, 'EDBAUTH', /refused the login of/],
    [closedPort.toString(), 'EDBUNREACHABLE', /cannot be reached/],
    [missing.toString(), 'EDBMISSING', /does not exist/],
  ];
  for (const [url, code, message] of cases) {
    const error = await openCatalog({ databaseFile: 'unused', databaseUrl: url, storageDir: path.join(dir, 'shub') }).then(
      () => assert.fail(`${code}: opened`),
      (e: unknown) => e,
    );
    assert.ok(isUserError(error), `${code}: a UserError, not ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /\n/, 'one line');
    const everything = `${error.message} ${error.fix} ${String((error.cause as Error)?.stack ?? error.cause)}`;
    assert.ok(!everything.includes('Pass-4242'), `${code}: no password in message or cause: ${everything}`);
    assert.ok(error.message.includes(`${role}@`) || code === 'EDBAUTH', `${code}: the database is named by user@host: ${error.message}`);
  }
  assert.equal(await exists(path.join(dir, 'shub')), false, 'nothing was written to storage');
});

test('a role that may only read lists the catalogue, and an add fails in one line before its file is moved', async (t) => {
  const dir = await tempDir(t);
  const db = await testDatabase(t, 'postgres', dir);
  if (!db) return;
  const storage = path.join(dir, 'shub');
  const owner = await openCatalog({ ...db.location, storageDir: storage });
  await owner.add({ file: await writeImage(dir, 'a.sif'), name: parseImageName('team/a:v1'), client: 'hub' });
  await owner.close();
  const server = db.server!;
  const role = `reader_${Date.now().toString(36)}`;
  await server.sql(`CREATE ROLE ${role} LOGIN PASSWORD 'reader-pw-77'`);
  await db.query(`GRANT SELECT ON collection, container, sregistry_migrations TO ${role}`);
  const reader = await openCatalog({
    databaseFile: 'unused',
    databaseUrl: server.urlFor(db.name as string, { user: role, password: 'reader-pw-77' }),
    storageDir: storage,
  });
  t.after(async () => {
    await reader.close();
    await server.sql(`DROP DATABASE IF EXISTS "${db.name}" WITH (FORCE)`);
    await server.sql(`DROP ROLE IF EXISTS ${role}`);
  });
  assert.deepEqual(
    (await reader.list()).map((r) => r.uri?.split('@')[0]),
    ['team/a:v1'],
  );
  const file = await writeImage(dir, 'b.sif', 'another image\n');
  const error = await reader.add({ file, name: parseImageName('team/b:v1'), client: 'hub' }).then(
    () => assert.fail('added'),
    (e: unknown) => e,
  );
  assert.ok(isUserError(error), String(error));
  assert.equal(error.code, 'EDBPERM');
  assert.match(error.message, new RegExp(`${role} may not change the catalogue .*no INSERT on collection`));
  assert.equal(await exists(file), true, 'the file was not moved');
  assert.equal(await exists(path.join(storage, 'team', 'b')), false, 'nothing placed in storage');
});

test("another node's interrupted add is left alone while its session lives, and finished by any node once it is gone", async (t) => {
  const dir = await tempDir(t);
  const db = await testDatabase(t, 'postgres', dir);
  if (!db) return;
  const storage = path.join(dir, 'shub');
  const nodeA = await openCatalog({ ...db.location, storageDir: storage });
  const source = await writeImage(dir, 'hello.sif');
  const dest = path.join(storage, 'team', 'hello', `v1@${HELLO_SHA256}.sif`);
  const intentFile = path.join(storage, '.tmp', 'journal', `1-424242-beef.json`);
  const row = {
    collection: 'team',
    name: 'hello',
    tag: 'v1',
    version: HELLO_SHA256,
    image: dest,
    url: 'team/hello',
    client: 'hub',
    metrics: {},
  };
  // what login node 2 left: the intent written and its lock held, then nothing more (yet)
  await nodeA.database.intentLiveness?.hold(intentFile);
  await fs.mkdir(path.dirname(intentFile), { recursive: true });
  const intent = {
    op: 'add',
    source,
    dest,
    copy: true,
    row,
    pid: 424242,
    host: 'login2.example.org',
    startedAt: new Date().toISOString(),
    held: true,
  };
  await fs.writeFile(intentFile, JSON.stringify(intent));

  const nodeB = await openCatalog({ ...db.location, storageDir: storage });
  assert.equal(await exists(intentFile), true, 'a live session holds it: still in progress');
  assert.deepEqual(await nodeB.list(), []);
  await nodeB.close();

  await nodeA.close(); // login node 2's process dies: the server drops its session and the lock with it
  const nodeC = await openCatalog({ ...db.location, storageDir: storage });
  t.after(() => nodeC.close());
  assert.equal(await exists(intentFile), false, 'finished and removed');
  assert.deepEqual(
    (await nodeC.list()).map((r) => r.image),
    [dest],
    'the row of the placed file',
  );
  assert.equal(await exists(dest), true);
});

test('the database stopped mid-run: one line, nothing moved into storage; back again, the catalogue works', async (t) => {
  const missing = postgresMissing();
  if (missing) return t.skip(`no PostgreSQL: ${missing}`);
  const server = await startPostgres();
  t.after(() => server.stop());
  const dir = await tempDir(t);
  const db = await testDatabase(t, 'postgres', dir, server);
  if (!db) return;
  const storage = path.join(dir, 'shub');
  const catalog = await openCatalog({ ...db.location, storageDir: storage });
  t.after(() => catalog.close().catch(() => {}));
  await catalog.add({ file: await writeImage(dir, 'a.sif'), name: parseImageName('team/a:v1'), client: 'hub' });
  const before = await fs.readdir(storage, { recursive: true });
  await server.stopServer();
  const file = await writeImage(dir, 'b.sif', 'another image\n');
  for (const [what, run] of [
    ['add', () => catalog.add({ file, name: parseImageName('team/b:v1'), client: 'hub' })],
    ['list', () => catalog.list()],
  ] as const) {
    const error = await (run as () => Promise<unknown>)().then(
      () => assert.fail(`${what} worked without a server`),
      (e: unknown) => e,
    );
    assert.ok(isUserError(error), `${what}: ${String(error)}`);
    assert.equal(error.code, 'EDBUNREACHABLE', `${what}: ${error.message}`);
    assert.doesNotMatch(error.message, /\n/);
    assert.ok(!error.message.includes(server.password), 'no password');
  }
  assert.equal(await exists(file), true, 'the file to add was not moved');
  assert.deepEqual(await fs.readdir(storage, { recursive: true }), before, 'storage unchanged');
  assert.deepEqual(await fs.readdir(path.join(storage, '.tmp', 'journal')).catch(() => []), [], 'no intent left behind');
  await server.startServer();
  const again = await openCatalog({ ...db.location, storageDir: storage });
  t.after(() => again.close());
  await again.add({ file, name: parseImageName('team/b:v1'), client: 'hub' });
  assert.equal((await again.list()).length, 2);
});

test("an image path longer than the original's 250 characters: one line, the file back where it was", async (t) => {
  const dir = await tempDir(t);
  const db = await testDatabase(t, 'postgres', dir);
  if (!db) return;
  const storage = path.join(dir, 'x'.repeat(200), 'shub');
  const catalog = await openCatalog({ ...db.location, storageDir: storage });
  t.after(() => catalog.close());
  const file = await writeImage(dir, 'hello.sif');
  const error = await catalog.add({ file, name: parseImageName('team/hello:v1'), client: 'hub' }).then(
    () => assert.fail('added'),
    (e: unknown) => e,
  );
  assert.ok(isUserError(error), String(error));
  assert.match(error.message, /too long for the catalogue's columns/);
  assert.equal(await exists(file), true, 'the file was put back');
  assert.deepEqual(await catalog.list(), []);
  assert.deepEqual(await fs.readdir(path.join(storage, '.tmp', 'journal')).catch(() => []), [], 'no intent left');
});
