// The testkit's real PostgreSQL: password logins over 127.0.0.1 with SCRAM, not as root, a fresh database per
// test, stopped and started mid-test, nothing left behind; and what a machine without the server is told.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { findPostgresBinaries, type PostgresHandle, postgresAvailable, sharedPostgres, startPostgres } from '../src/postgres/index';

const run = promisify(execFile);
const available = postgresAvailable();
const skip = available.ok ? false : available.reason;

/** psql as a client would log in: the URL's user and the given password, over TCP. */
async function login(pg: PostgresHandle, password: string, query: string, database = pg.database): Promise<string> {
  const psql = findPostgresBinaries()?.psql as string;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' };
  const { stdout } = await run(
    psql,
    ['-X', '-q', '-At', '-h', pg.host, '-p', String(pg.port), '-U', pg.user, '-d', database, '-c', query],
    { env },
  );
  return stdout.trim();
}

describe('startPostgres', { skip }, () => {
  let pg: PostgresHandle;
  before(async () => {
    pg = await startPostgres({ password: 'pass-word-7' });
  });
  after(() => pg?.stop());

  test('a URL with the role and password, on 127.0.0.1, for a database the role owns', async () => {
    assert.equal(pg.url, `postgresql://sregistry:pass-word-7@127.0.0.1:${pg.port}/sregistry`);
    assert.equal(await login(pg, 'pass-word-7', "SELECT current_user || ' ' || current_database()"), 'sregistry sregistry');
    assert.equal(await pg.sql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'sregistry'"), 'sregistry');
    // the role can make the catalogue's tables in its database (PostgreSQL 15 closed the public schema to others)
    assert.equal(await login(pg, 'pass-word-7', 'CREATE TABLE t (id int); SELECT count(*) FROM t'), '0');
  });

  test('a wrong password is refused: SCRAM for every login, listening on 127.0.0.1 only', async () => {
    await assert.rejects(login(pg, 'wrong', 'SELECT 1'), /password authentication failed/);
    assert.equal(await pg.sql('SHOW password_encryption'), 'scram-sha-256');
    assert.equal(await pg.sql('SHOW listen_addresses'), '127.0.0.1');
    const rules = await pg.sql('SELECT DISTINCT auth_method FROM pg_hba_file_rules');
    assert.equal(rules, 'scram-sha-256');
    assert.match(await pg.sql("SELECT rolpassword FROM pg_authid WHERE rolname = 'sregistry'"), /^SCRAM-SHA-256\$/);
  });

  test('the server does not run as root', async () => {
    const pid = Number(fs.readFileSync(path.join(pg.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const uid = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    assert.notEqual(uid, 0);
    assert.equal(fs.statSync(pg.dataDir).uid, uid);
  });

  test('createDatabase gives a fresh empty database each time, owned by the role', async () => {
    const first = await pg.createDatabase();
    const second = await pg.createDatabase();
    assert.notEqual(first, second);
    const name = decodeURIComponent(new URL(first).pathname.slice(1));
    assert.equal(await login(pg, pg.password, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", name), '0');
    assert.equal(await pg.createDatabase('named_one'), pg.urlFor('named_one'));
    await assert.rejects(pg.createDatabase('named_one'), /already exists/);
  });

  test('stopServer refuses connections, startServer brings the same data back', async () => {
    await login(pg, pg.password, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('here')");
    await pg.stopServer();
    assert.equal(pg.running(), false);
    await assert.rejects(login(pg, pg.password, 'SELECT 1'), /Connection refused|could not connect/);
    await pg.startServer();
    assert.equal(pg.running(), true);
    assert.equal(await login(pg, pg.password, 'SELECT v FROM kept'), 'here');
  });

  test('stop() shuts the server and removes its folder', async () => {
    const other = await startPostgres();
    const dir = path.dirname(other.dataDir);
    assert.ok(fs.existsSync(dir));
    await other.stop();
    assert.equal(fs.existsSync(dir), false);
    await assert.rejects(login(other, other.password, 'SELECT 1'), /Connection refused|could not connect/);
  });
});

describe('sharedPostgres', { skip }, () => {
  test('one server per test process', async () => {
    const [a, b] = await Promise.all([sharedPostgres(), sharedPostgres()]);
    assert.equal(a, b);
    assert.equal(await login(a, a.password, 'SELECT 1'), '1');
  });

  test('a process that ends without stop() leaves no server and no folder', async () => {
    // a child process starts a server and exits without stopping it: the exit handler does
    const script = `
      const { sharedPostgres } = require(${JSON.stringify(path.resolve(__dirname, '../src/postgres/index.ts'))});
      sharedPostgres().then((pg) => { console.log(JSON.stringify({ dir: require('node:path').dirname(pg.dataDir), port: pg.port })); });
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '-e', script], { env: process.env });
    const { dir } = JSON.parse(stdout) as { dir: string; port: number };
    assert.equal(fs.existsSync(dir), false);
  });
});

describe('without PostgreSQL', () => {
  test('outside CI the reason says what to install; in CI it is an error', () => {
    const env = { SREGISTRY_TEST_PG_BIN: '/nonexistent/bin' };
    const outside = postgresAvailable(env);
    assert.equal(outside.ok, false);
    assert.match(outside.ok ? '' : outside.reason, /\/nonexistent\/bin .*apt-get install postgresql-15/);
    assert.throws(() => postgresAvailable({ ...env, CI: 'true' }), /^Error: CI needs PostgreSQL: .*apt-get install postgresql-15/);
  });
});
