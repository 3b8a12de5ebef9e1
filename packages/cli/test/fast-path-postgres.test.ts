// The fast path on a team catalogue: `images`, `get` and `inspect` read PostgreSQL through plain `pg` (neither
// oclif nor TypeORM loaded) and print exactly what the oclif commands print; a database without the catalogue's
// tables, and a server that is down, go the full way (which creates the tables, or says what is wrong in one line).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type PostgresHandle, postgresAvailable, runCli, sampleSif, startPostgres } from '@sregistry/testkit';
import { cliInTempHome } from './helpers';

const available = postgresAvailable();
const skip = available.ok ? false : available.reason;
const OCLIF_ONLY = path.join(__dirname, 'fixtures', 'oclif-only.js');
const RECORDER = path.join(__dirname, 'fixtures', 'record-modules.cjs');

describe('fast path on PostgreSQL', { skip }, () => {
  let pg: PostgresHandle;
  let cli: ReturnType<typeof cliInTempHome>;
  let env: Record<string, string>;

  before(async () => {
    // a server of this file's own: the last test stops it
    pg = await startPostgres();
    cli = cliInTempHome();
    env = { SREGISTRY_DATABASE: await pg.createDatabase(), SREGISTRY_STORAGE: path.join(cli.home, 'shared-storage') };
    const sif = path.join(cli.home, 'tacos.sif');
    await sampleSif(sif);
    for (const name of ['vanessa/tacos:latest', 'vsoch/hello-world:v1', 'Library/Ubuntu:18.04']) {
      const r = await cli.run(['add', '--copy', sif, '--name', name], { env });
      assert.equal(r.code, 0, r.stderr);
    }
    fs.writeFileSync(path.join(cli.home, 'plain.txt'), 'hello image\n');
    const r = await cli.run(['add', path.join(cli.home, 'plain.txt'), '--name', 'vsoch/text'], { env });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    cli?.cleanup();
    await pg?.stop();
  });

  /** Runs bin/run.js and says which heavy parts it loaded. */
  async function traced(args: string[], extra: Record<string, string> = {}) {
    const out = path.join(cli.home, `modules-${process.hrtime.bigint()}.json`);
    const result = await cli.run(args, { env: { ...env, NODE_OPTIONS: `--require ${RECORDER}`, RECORD_MODULES_TO: out, ...extra } });
    const modules = JSON.parse(fs.readFileSync(out, 'utf8')) as string[];
    fs.rmSync(out);
    return {
      result,
      oclif: modules.some((m) => m.includes(`${path.sep}@oclif${path.sep}core${path.sep}`)),
      typeorm: modules.some((m) => m.endsWith(path.join('catalog', 'bundle.js')) || m.includes(`${path.sep}typeorm${path.sep}`)),
      pg: modules.some((m) => m.endsWith(path.join('catalog', 'pg-bundle.js'))),
      undici: modules.some((m) => m.includes('undici')),
    };
  }

  for (const args of [
    ['images'],
    ['images', '--json'],
    ['images', 'UB'],
    ['images', 'ubuntu', 'tacos', 'nomatch'],
    ['images', '50%_off'],
    ['get', 'vanessa/tacos'],
    ['get', '--json', 'vsoch/hello-world:v1'],
    ['get', 'vsoch/nothere'],
    ['inspect', 'vanessa/tacos'],
    ['inspect', 'library/ubuntu:18.04', '--json'],
    ['inspect', 'vsoch/text'],
  ]) {
    test(`${args.join(' ')}: the same output and exit code as the oclif command`, async () => {
      const [fast, full] = await Promise.all([
        cli.run(args, { env }),
        runCli(OCLIF_ONLY, args, { env: { ...cli.env, ...env }, cwd: cli.home }),
      ]);
      assert.deepEqual(fast, full);
    });
  }

  test('the plain forms read PostgreSQL with pg alone (bundled): neither oclif, TypeORM nor undici is loaded', async () => {
    for (const args of [
      ['images'],
      ['images', 'tacos', '--json'],
      ['get', 'vanessa/tacos', '-q'],
      ['inspect', '--json', 'vanessa/tacos'],
    ]) {
      const traces = await traced(args);
      assert.equal(traces.result.code, 0, traces.result.stderr);
      assert.deepEqual(
        // pg as its one bundled file, without the Cloudflare check that loads Node's undici (scripts/bundle.js)
        { oclif: traces.oclif, typeorm: traces.typeorm, pg: traces.pg, undici: traces.undici },
        { oclif: false, typeorm: false, pg: true, undici: false },
        args.join(' '),
      );
    }
    const listed = (await traced(['images'])).result.stdout;
    assert.equal(listed.split('\n').filter((l) => l.includes('@')).length, 4, listed);
  });

  test('a SREGISTRY_DATABASE_TIMEOUT that is no number of seconds is refused by the plain reader too', async () => {
    for (const value of ['abc', '-1']) {
      for (const args of [['images'], ['get', 'vanessa/tacos:latest'], ['images', '--json']]) {
        const r = await cli.run(args, { env: { ...env, SREGISTRY_DATABASE_TIMEOUT: value } });
        const what = `${args.join(' ')} with ${value}`;
        assert.equal(r.code, 1, what);
        if (args.includes('--json')) assert.equal(JSON.parse(r.stdout).error.code, 'ESETTING', what);
        else {
          assert.equal(r.stdout, '', what);
          assert.match(r.stderr, new RegExp(`^ERROR SREGISTRY_DATABASE_TIMEOUT is "${value}", not a number of seconds; [^\\n]*\\n$`), what);
        }
      }
    }
  });

  test('a database without the tables goes the full way, which creates them', async () => {
    const fresh = await pg.createDatabase();
    const first = await traced(['images'], { SREGISTRY_DATABASE: fresh });
    assert.equal(first.result.code, 0, first.result.stderr);
    assert.equal(first.typeorm, true, 'the full catalogue migrated the new database');
    const second = await traced(['images'], { SREGISTRY_DATABASE: fresh });
    assert.deepEqual({ code: second.result.code, typeorm: second.typeorm }, { code: 0, typeorm: false });
  });

  test('a wrong password or a stopped server: the full way, one line, no password', async () => {
    const wrong = pg.urlFor(pg.database, { user: pg.user, password: 'not-the-Password-1' });
    const refused = await traced(['images'], { SREGISTRY_DATABASE: wrong });
    assert.equal(refused.result.code, 1);
    assert.equal(refused.oclif, true);
    assert.equal(refused.result.stderr.trim().split('\n').length, 1, refused.result.stderr);
    assert.doesNotMatch(refused.result.stderr, /not-the-Password-1/);

    await pg.stopServer();
    const down = await traced(['get', 'vanessa/tacos']);
    assert.equal(down.result.code, 1);
    assert.equal(down.result.stderr.trim().split('\n').length, 1, down.result.stderr);
    assert.doesNotMatch(down.result.stderr + down.result.stdout, new RegExp(pg.password));
  });
});
