// The team catalogue's one-line failures name the database as postgresql://user@host:port/db and give the fix
// that fits: no password anywhere (and a password file others can read, warned about once), sslmode=require
// against a server without SSL; and `catalog migrate` out of it refuses to share the team's storage.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type PostgresHandle, postgresAvailable, sampleSif, sharedPostgres } from '@sregistry/testkit';
import { cliInTempHome } from './helpers';

const available = postgresAvailable();
const skip = available.ok ? false : available.reason;

describe('team catalogue messages', { skip }, () => {
  let pg: PostgresHandle;
  let cli: ReturnType<typeof cliInTempHome>;
  let bare: string;
  let display: string;

  before(async () => {
    pg = await sharedPostgres();
    cli = cliInTempHome();
    const db = decodeURIComponent(new URL(await pg.createDatabase()).pathname.slice(1));
    bare = `postgresql://${pg.user}@${pg.host}:${pg.port}/${db}`;
    display = `postgresql://${pg.user}@${pg.host}:${pg.port}/${db}`;
  });
  after(() => cli?.cleanup());

  test('no password anywhere: one line naming the user and where to set it', async () => {
    const env = { SREGISTRY_DATABASE: bare, PGPASSWORD: undefined };
    for (const args of [['images'], ['get', 'a/b:1']]) {
      const r = await cli.run(args, { env });
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr, `ERROR no password for ${pg.user} at ${display}; set it in ~/.pgpass (mode 0600) or PGPASSWORD\n`);
    }
    const started = Date.now();
    const json = await cli.run(['images', '--json'], { env });
    // the login that never began leaves no socket for the server's 60 s authentication_timeout to close
    assert.ok(Date.now() - started < 20_000, `--json ended in ${Date.now() - started} ms`);
    assert.equal(JSON.parse(json.stdout).error.message, `no password for ${pg.user} at ${display}`);
    assert.equal(JSON.parse(json.stdout).error.code, 'EDBAUTH');
  });

  test('a password file others can read is ignored with one warning, not one per connection', async () => {
    const pgpass = path.join(cli.home, '.pgpass');
    fs.writeFileSync(pgpass, `*:*:*:${pg.user}:${pg.password}\n`, { mode: 0o644 });
    fs.chmodSync(pgpass, 0o644);
    try {
      await sampleSif(path.join(cli.home, 'a.sif'));
      for (const args of [['images'], ['add', '--copy', 'a.sif', '--name', 'a/b:1']]) {
        const r = await cli.run(args, { env: { SREGISTRY_DATABASE: bare, PGPASSWORD: undefined } });
        assert.equal(r.code, 1, r.stderr);
        const warnings = r.stderr.split('\n').filter((l) => /password file/.test(l));
        assert.deepEqual(
          warnings,
          [`WARNING password file ${pgpass} has group or world access; it is ignored (chmod 600 ${pgpass})`],
          r.stderr,
        );
        assert.match(r.stderr, /^ERROR no password for /m);
        assert.ok(!r.stderr.includes(pg.password), 'no password in the output');
      }
      fs.chmodSync(pgpass, 0o600);
      const ok = await cli.run(['images'], { env: { SREGISTRY_DATABASE: bare, PGPASSWORD: undefined } });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stderr, '');
    } finally {
      fs.rmSync(pgpass);
    }
  });

  test('sslmode=require against a server without SSL: the fix is about SSL; the database is named with its user', async () => {
    const r = await cli.run(['images'], { env: { SREGISTRY_DATABASE: `${bare}?sslmode=require`, PGPASSWORD: pg.password } });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stderr,
      `ERROR the catalogue database ${display} does not accept SSL connections, and sslmode=require asks for one; use ?sslmode=prefer (or disable) in SREGISTRY_DATABASE, or enable SSL on the server (ssl = on in postgresql.conf)\n`,
    );
    const wrong = await cli.run(['images', '--json'], { env: { SREGISTRY_DATABASE: bare, PGPASSWORD: 'Wrong-Password-77' } });
    assert.equal(wrong.code, 1);
    assert.match(
      JSON.parse(wrong.stdout).error.message,
      new RegExp(`^the catalogue database ${display.replace(/[.]/g, '\\.')} refused the login of ${pg.user} `),
    );
    assert.ok(!wrong.stdout.includes('Wrong-Password-77'));
  });

  test('a lock held by another session: a warning naming it after 2 s, then the error with the time waited', async () => {
    const env = { SREGISTRY_DATABASE: bare, PGPASSWORD: pg.password, SREGISTRY_DATABASE_TIMEOUT: '4' };
    await sampleSif(path.join(cli.home, 'g.sif'), { deffile: 'Bootstrap: library\nFrom: lock\n' });
    assert.equal((await cli.run(['add', '--copy', 'g.sif', '--name', 'lock/g:1'], { env })).code, 0, 'the schema exists');
    const db = decodeURIComponent(new URL(bare).pathname.slice(1));
    const holder = pg.sql('BEGIN; LOCK TABLE collection IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(7); COMMIT;', db);
    try {
      // the lock is taken once psql's session shows it
      for (let i = 0; i < 100; i++) {
        if (
          (
            await pg.sql("SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation = 'collection'::regclass", db)
          ).trim() !== '0'
        )
          break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const started = Date.now();
      const r = await cli.run(['add', '--copy', 'g.sif', '--name', 'lock/g:2'], { env });
      const ms = Date.now() - started;
      assert.equal(r.code, 1, r.stderr);
      const lines = r.stderr.trimEnd().split('\n');
      assert.match(
        lines[0] ?? '',
        new RegExp(
          `^WARNING the catalogue database ${display.replace(/[.]/g, '\\.')} is locked by session pid \\d+ \\(psql\\); waiting up to 4 s \\(SREGISTRY_DATABASE_TIMEOUT\\)$`,
        ),
      );
      assert.match(lines.at(-1) ?? '', /^ERROR the catalogue database .* is locked by another session \(waited 4 s\); try again/);
      assert.ok(ms < 7_000, `gave up at the timeout (${ms} ms)`);
    } finally {
      await holder;
    }
  });

  test('catalog migrate out of the team catalogue without --storage refuses to share the team storage', async () => {
    const storage = fs.mkdtempSync(path.join(cli.home, 'team-storage-'));
    const env = { SREGISTRY_DATABASE: bare, PGPASSWORD: pg.password, SREGISTRY_STORAGE: storage };
    await sampleSif(path.join(cli.home, 't.sif'), { deffile: 'Bootstrap: library\nFrom: team\n' });
    const added = await cli.run(['add', '--copy', 't.sif', '--name', 'team/one:v1'], { env });
    assert.equal(added.code, 0, added.stderr);
    const mine = path.join(cli.home, 'mine');
    const r = await cli.run(['catalog', 'migrate', '--to', mine], { env });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^ERROR the target's storage .* is this catalogue's storage too \(--storage defaults to SREGISTRY_STORAGE\)/);
    assert.equal(fs.existsSync(path.join(mine, 'sregistry.db')), false, 'no personal catalogue pointing at the team files');
    const ok = await cli.run(['catalog', 'migrate', '--to', mine, '--storage', path.join(mine, 'shub'), '--json'], { env });
    assert.equal(ok.code, 0, ok.stderr);
    const [image] = JSON.parse((await cli.run(['images', '--json'], { env: { SREGISTRY_DATABASE: mine } })).stdout) as { image: string }[];
    assert.ok(image?.image.startsWith(path.join(mine, 'shub') + path.sep), `a copy of its own: ${image?.image}`);
    assert.equal(JSON.parse(ok.stdout).to.startsWith('sqlite:///'), true);
  });
});
