// SREGISTRY_DATABASE: a folder (SQLite), a PostgreSQL URL (the team catalogue) with its password from the URL,
// PGPASSWORD or the password file as libpq reads them, and one-line refusals for other URLs; the password never
// in what is printed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import util from 'node:util';
import { libpqDefaultHost, looksLikeUrl, parseDatabaseLocation, passwordFromFile } from '../src/catalog/location';
import { isUserError } from '../src/errors';
import { Session } from '../src/ops/session';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-location-'));
after(() => fs.rmSync(home, { recursive: true, force: true }));
const ENV = { HOME: home, PGPASSFILE: path.join(home, 'no-pgpass') };

function refusal(fn: () => unknown): { message: string; fix?: string; code: string } {
  try {
    fn();
  } catch (error) {
    assert.ok(isUserError(error), `not a UserError: ${error}`);
    return { message: error.message, fix: error.fix, code: error.code };
  }
  assert.fail('not refused');
}

describe('folders', () => {
  test('unset: ~/.singularity; a folder, relative or with ~, as today', () => {
    assert.deepEqual(parseDatabaseLocation(undefined, ENV), {
      kind: 'sqlite',
      folder: path.join(home, '.singularity'),
      file: path.join(home, '.singularity', 'sregistry.db'),
      announce: `sqlite:///${path.join(home, '.singularity', 'sregistry.db')}`,
    });
    assert.equal(parseDatabaseLocation('~/db', ENV).kind, 'sqlite');
    assert.equal((parseDatabaseLocation('~/db', ENV) as { folder: string }).folder, path.join(home, 'db'));
    assert.equal((parseDatabaseLocation('rel/db', ENV) as { folder: string }).folder, path.resolve('rel/db'));
    // a colon in a folder name is still a folder; only scheme:/ reads as a URL
    assert.equal(parseDatabaseLocation('/data/run:3', ENV).kind, 'sqlite');
    assert.equal(looksLikeUrl('C:/x'), false);
  });
});

describe('PostgreSQL URLs', () => {
  test('postgresql:// and postgres://, with the password in the URL', () => {
    for (const scheme of ['postgresql', 'postgres', 'PostgreSQL']) {
      const location = parseDatabaseLocation(`${scheme}://alice:s3cr%40t@db.example.org:6543/team`, ENV);
      assert.equal(location.kind, 'postgres');
      if (location.kind !== 'postgres') return;
      assert.equal(location.url, `${scheme}://alice:s3cr%40t@db.example.org:6543/team`);
      assert.equal(location.redacted, 'postgresql://alice@db.example.org:6543/team');
      assert.equal(location.announce, location.redacted);
      assert.deepEqual([location.host, location.port, location.user, location.database], ['db.example.org', 6543, 'alice', 'team']);
      assert.equal(location.password, 's3cr@t');
      assert.equal(location.passwordSource, 'url');
    }
  });

  test('defaults as libpq: port 5432, the database named after the user; ?sslmode= kept', () => {
    const location = parseDatabaseLocation('postgresql://bob@pg.local?sslmode=verify-full', ENV);
    assert.equal(location.kind, 'postgres');
    if (location.kind !== 'postgres') return;
    assert.equal(location.redacted, 'postgresql://bob@pg.local:5432/bob');
    assert.equal(location.sslmode, 'verify-full');
    assert.equal(location.password, undefined);
    assert.equal(location.passwordSource, undefined);
    const fromEnv = parseDatabaseLocation('postgresql:///team', { ...ENV, PGHOST: 'h', PGPORT: '7000', PGUSER: 'carol' });
    assert.equal(fromEnv.kind === 'postgres' && fromEnv.redacted, 'postgresql://carol@h:7000/team');
  });

  test('the password is in no printed or serialised form of the location', () => {
    const location = parseDatabaseLocation('postgresql://alice:hunter2-secret@db:5432/team', ENV);
    const shown = [JSON.stringify(location), util.inspect(location), String(location.announce), `${util.format('%o', location)}`];
    for (const text of shown) assert.doesNotMatch(text, /hunter2/, text);
    assert.equal(location.kind === 'postgres' && location.password, 'hunter2-secret');
  });

  test('PGPASSWORD when the URL has none; the URL wins over it', () => {
    const env = { ...ENV, PGPASSWORD: 'from-env' };
    const a = parseDatabaseLocation('postgresql://alice@db/team', env);
    assert.equal(a.kind === 'postgres' && `${a.password} ${a.passwordSource}`, 'from-env PGPASSWORD');
    const b = parseDatabaseLocation('postgresql://alice:in-url@db/team', env);
    assert.equal(b.kind === 'postgres' && b.password, 'in-url');
  });

  test('bad URLs are refused in one line without the password', () => {
    const cases = [
      ['postgresql://alice:pw-secret@db:0/team', /^SREGISTRY_DATABASE postgresql:\/\/alice@db:0\/team: port 0 is not a port number/],
      [
        'postgresql://alice:pw-secret@db:99999/team',
        /^SREGISTRY_DATABASE is not a valid PostgreSQL URL \(port 99999 is not a port number from 1 to 65535\)$/,
      ],
      [
        'postgresql://alice:pw-secret@db/team?sslmode=sometimes',
        /^SREGISTRY_DATABASE postgresql:\/\/alice@db\/team: sslmode=sometimes is not one of libpq's modes$/,
      ],
      ['postgresql://alice:pw-secret@db/team/extra', /more than one path segment/],
      [
        'postgresql://alice:pw-secret@[db/team',
        /^SREGISTRY_DATABASE is not a valid PostgreSQL URL \(the \[ of an IPv6 host is not closed\)$/,
      ],
      ['postgresql://[::1', /^SREGISTRY_DATABASE is not a valid PostgreSQL URL \(the \[ of an IPv6 host is not closed\)$/],
    ] as const;
    for (const [value, expected] of cases) {
      const r = refusal(() => parseDatabaseLocation(value, ENV));
      assert.match(r.message, expected);
      // brackets in the fix balance (the form with [:password] lost ":password]" to the output's redaction)
      assert.equal((r.fix ?? '').split('[').length, (r.fix ?? '').split(']').length, r.fix);
      assert.equal(r.code, 'EDBURL');
      assert.doesNotMatch(`${r.message} ${r.fix}`, /pw-secret/);
      assert.doesNotMatch(r.message, /\n/);
    }
  });
});

describe('other URLs', () => {
  test('mysql://, http:// and a mangled postgresql:/ are refused with the fix, naming only the scheme', () => {
    for (const [value, scheme] of [
      ['mysql://root:pw-secret@db/x', 'mysql'],
      ['http://example.org/db', 'http'],
      ['postgresql:/alice:pw-secret@db/x', 'postgresql'],
    ]) {
      const r = refusal(() => parseDatabaseLocation(value, ENV));
      assert.equal(r.code, 'EDBURL');
      if (scheme === 'postgresql') assert.match(r.message, /not a valid PostgreSQL URL|postgresql/);
      else assert.match(r.message, new RegExp(`^SREGISTRY_DATABASE is a ${scheme}: URL; only PostgreSQL`));
      assert.match(r.fix ?? '', /postgresql:\/\/user(\[:password\])?@host(\[)?:port/);
      assert.doesNotMatch(`${r.message} ${r.fix}`, /pw-secret/);
    }
  });

  test("sqlite:/// (the original's announce form) points to its folder", () => {
    const r = refusal(() => parseDatabaseLocation('sqlite:////home/u/.singularity/sregistry.db', ENV));
    assert.equal(r.fix, 'set SREGISTRY_DATABASE=/home/u/.singularity');
    assert.equal(r.message, 'SREGISTRY_DATABASE takes the folder of the SQLite catalogue, not a sqlite:// URL');
    // a file of another name is not what a folder would give: the fix says how the file is named
    const other = refusal(() => parseDatabaseLocation('sqlite:///tmp/x.db', ENV));
    assert.match(other.fix ?? '', /always named sregistry\.db \(\/tmp for \/tmp\/sregistry\.db\)$/);
    assert.equal(refusal(() => parseDatabaseLocation('sqlite:///tmp/sregistry.db', ENV)).fix, 'set SREGISTRY_DATABASE=/tmp');
  });
});

describe('the password file', () => {
  const file = path.join(home, 'pgpass');
  const env = { ...ENV, PGPASSFILE: file };
  const connection = { host: 'db.example.org', port: 5432, database: 'team', user: 'alice' };

  test('host:port:db:user:password lines, * wildcards, \\: escapes, the first match wins', () => {
    fs.writeFileSync(
      file,
      [
        '# comment',
        'other.host:5432:team:alice:not-this',
        'db.example.org:5432:team:bob:not-bob',
        'db.example.org:*:team:alice:pa\\:ss',
        '*:*:*:*:fallback',
      ].join('\n'),
      { mode: 0o600 },
    );
    assert.deepEqual(passwordFromFile(connection, env), { password: 'pa:ss' });
    assert.deepEqual(passwordFromFile({ ...connection, user: 'zed' }, env), { password: 'fallback' });
    const location = parseDatabaseLocation('postgresql://alice@db.example.org/team', env);
    assert.equal(location.kind === 'postgres' && `${location.password} ${location.passwordSource}`, 'pa:ss password file');
    // PGPASSWORD comes before the file, as in libpq
    const withEnv = parseDatabaseLocation('postgresql://alice@db.example.org/team', { ...env, PGPASSWORD: 'env' });
    assert.equal(withEnv.kind === 'postgres' && withEnv.password, 'env');
  });

  test('~/.pgpass by default; a file others can read is ignored with a warning', () => {
    const pgpass = path.join(home, '.pgpass');
    fs.writeFileSync(pgpass, '*:*:*:alice:from-home\n', { mode: 0o600 });
    assert.deepEqual(passwordFromFile(connection, { HOME: home }), { password: 'from-home' });
    fs.chmodSync(pgpass, 0o644);
    const open = passwordFromFile(connection, { HOME: home });
    assert.equal(open.password, undefined);
    assert.match(open.warning ?? '', /has group or world access; it is ignored \(chmod 600 .*\.pgpass\)/);
    const location = parseDatabaseLocation('postgresql://alice@db.example.org/team', { HOME: home });
    assert.equal(location.kind === 'postgres' && location.password, undefined);
    assert.match((location.kind === 'postgres' && location.passwordFileWarning) || '', /group or world access/);
    fs.rmSync(pgpass);
    assert.deepEqual(passwordFromFile(connection, { HOME: home }), {});
  });
});

describe('the session', () => {
  test('a PostgreSQL URL is announced without the password and opens nothing; other URLs fail on use', async () => {
    const cwd = process.cwd();
    const session = new Session({ env: { HOME: home, SREGISTRY_DATABASE: 'postgresql://alice:pw-secret@127.0.0.1:1/team' } });
    assert.equal(session.databaseUrl, 'postgresql://alice@127.0.0.1:1/team');
    assert.equal(session.postgresUrl, 'postgresql://alice:pw-secret@127.0.0.1:1/team');
    assert.equal(session.paths.databaseDir, path.join(home, '.singularity'));
    assert.equal(session.openPlainReader(), false);
    const refused = await session.catalog().then(
      () => assert.fail('opened'),
      (error) => error,
    );
    assert.ok(isUserError(refused));
    assert.doesNotMatch(refused.line, /pw-secret/);
    assert.equal(
      fs.readdirSync(cwd).some((name) => name.startsWith('postgresql')),
      false,
    );

    const bad = new Session({ env: { HOME: home, SREGISTRY_DATABASE: 'mysql://root:pw-secret@db/x' } });
    assert.equal(bad.openPlainReader(), false);
    await assert.rejects(
      bad.catalog(),
      (error: Error) => isUserError(error) && error.code === 'EDBURL' && !/pw-secret/.test(error.message),
    );
    assert.throws(() => bad.databaseUrl, /mysql: URL/);
  });
});

describe('no host in the URL', () => {
  test("PGHOST, else the folder of the server's Unix socket as libpq finds it, else localhost", async () => {
    assert.equal(
      (parseDatabaseLocation('postgresql:///team', { ...ENV, PGHOST: 'db.example.org' }) as { host: string }).host,
      'db.example.org',
    );
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-socket-'));
    const [none, plain, live] = ['none', 'plain', 'live'].map((name) => path.join(base, name));
    for (const dir of [none, plain, live]) fs.mkdirSync(dir);
    fs.writeFileSync(path.join(plain, '.s.PGSQL.5432'), '');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(live, '.s.PGSQL.5432'), resolve));
    try {
      assert.equal(libpqDefaultHost(5432, [none, plain, live]), live, 'a socket, not a plain file of its name');
      assert.equal(libpqDefaultHost(5433, [none, plain, live]), 'localhost', 'no socket for that port');
    } finally {
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
