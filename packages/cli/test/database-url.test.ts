// SREGISTRY_DATABASE set to a URL through the CLI: never taken for a relative folder (no `postgresql:` directory
// in the current folder), one line and exit 1 for a URL the build cannot use, and the password in no output,
// --debug and --json included.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sampleSif } from '@sregistry/testkit';
import { cliInTempHome } from './helpers';

const SECRET = 'pw-Secret-42';
let cli: ReturnType<typeof cliInTempHome>;

before(async () => {
  cli = cliInTempHome();
  await sampleSif(path.join(cli.home, 'a.sif'));
});
after(() => cli?.cleanup());

/** What a command made in the home (its current folder) besides oclif's own cache folders. */
function created(): string[] {
  return fs.readdirSync(cli.home).filter((name) => !['a.sif', '.cache', '.config', '.local'].includes(name));
}

const URLS = [
  { value: `mysql://root:${SECRET}@db.example.org/sregistry`, expect: /^ERROR SREGISTRY_DATABASE is a mysql: URL; only PostgreSQL/ },
  {
    value: `sqlite:///${'/tmp/x/sregistry.db'}`,
    expect: /^ERROR SREGISTRY_DATABASE takes the folder of the SQLite catalogue, not a sqlite:\/\/ URL; set SREGISTRY_DATABASE=\/tmp\/x\n$/,
  },
  {
    // the fix's URL form reaches the terminal whole (a `user[:password]@` form lost ":password]" to redaction)
    value: `postgresql://alice:${SECRET}@db:99999/team`,
    expect:
      /^ERROR SREGISTRY_DATABASE is not a valid PostgreSQL URL \(port 99999 is not a port number from 1 to 65535\); write it as postgresql:\/\/user@host\[:port\]\/database \(/,
  },
  { value: `http://user:${SECRET}@example.org/`, expect: /^ERROR SREGISTRY_DATABASE is a http: URL/ },
  {
    value: `postgresql:/alice:${SECRET}@db/team`,
    expect: /^ERROR SREGISTRY_DATABASE starts with postgresql but not postgresql:\/\/: a URL with a mistyped/,
  },
  // a mistyped scheme separator: no relative folder holding the password (./postgresql/bob:<password>@…)
  {
    value: `postgresql//bob:${SECRET}@127.0.0.1:44295/sregistry`,
    expect:
      /^ERROR SREGISTRY_DATABASE starts with postgresql but not postgresql:\/\/: a URL with a mistyped scheme separator, not a folder; write it as/,
  },
  { value: `postgres:bob:${SECRET}@db/team`, expect: /^ERROR SREGISTRY_DATABASE starts with postgres but not postgres:\/\// },
  { value: `mysql//root:${SECRET}@db/team`, expect: /^ERROR SREGISTRY_DATABASE starts with mysql but not mysql:\/\// },
  {
    value: `dbs/bob:${SECRET}@db.example.org/team`,
    expect: /^ERROR SREGISTRY_DATABASE has a user:password@host part: a URL with a mistyped/,
  },
  // an unencoded # ? / or @ in the password: what the parser took for a host or port is the password's text
  ...[
    `bob:${SECRET}#defghijk@127.0.0.1:44295/sregistry`,
    `bob:${SECRET}?defghijk@127.0.0.1:44295/sregistry`,
    `bob:abc@def:${SECRET}/lmn@127.0.0.1:44295/x`,
    `bob:12/${SECRET}@db/team`,
  ].map((rest) => ({
    value: `postgresql://${rest}`,
    expect:
      /^ERROR SREGISTRY_DATABASE is a malformed PostgreSQL URL \(its host and port cannot be told from its user part\); a password with @ : \/ \? # % must be percent-encoded/,
  })),
];

for (const { value, expect } of URLS) {
  test(`refused in one line, nothing created: ${value.replace(SECRET, '…')}`, async () => {
    for (const args of [['images'], ['get', 'x/y'], ['add', 'a.sif', '--name', 'x/y:v1', '--debug'], ['inspect', 'x/y', '--json']]) {
      const r = await cli.run(args, { env: { SREGISTRY_DATABASE: value } });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.doesNotMatch(r.stdout + r.stderr, new RegExp(SECRET), args.join(' '));
      if (args.includes('--json')) assert.equal(JSON.parse(r.stdout).error.code, 'EDBURL');
      else if (!args.includes('--debug')) {
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, expect);
      } else assert.match(r.stderr, /SREGISTRY_DATABASE/);
      assert.deepEqual(created(), [], `${args.join(' ')} created something`);
    }
  });
}

test('a PostgreSQL URL is never a folder: one line, no password, nothing created', async () => {
  const value = `postgresql://alice:${SECRET}@127.0.0.1:1/team`;
  for (const args of [['images'], ['add', 'a.sif', '--name', 'x/y:v1'], ['images', '--debug'], ['get', 'x/y', '--json']]) {
    const r = await cli.run(args, { env: { SREGISTRY_DATABASE: value, PGPASSWORD: 'env-Secret-7' } });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stdout + r.stderr, /pw-Secret-42|env-Secret-7/, args.join(' '));
    // messages drop a URL's user part as well (output/untrusted.ts); the database is named
    assert.match(r.stdout + r.stderr, /postgresql:\/\/(alice@)?127\.0\.0\.1:1\/team/);
    if (!args.includes('--debug') && !args.includes('--json')) assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.deepEqual(created(), [], `${args.join(' ')} created something`);
  }
});
