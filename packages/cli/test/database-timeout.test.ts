// SREGISTRY_DATABASE_TIMEOUT: read commands on a locked catalogue wait as long as it says (not that plus the fast
// reader's own waits), and a value that is no number of seconds is refused in one line naming it.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sampleSif } from '@sregistry/testkit';
import { cliInTempHome } from './helpers';

const Sqlite = createRequire(path.resolve(__dirname, '..', '..', 'core', 'package.json'))('better-sqlite3') as new (
  file: string,
) => { exec(sql: string): void; close(): void };

let cli: ReturnType<typeof cliInTempHome>;
let dbFile: string;

before(async () => {
  cli = cliInTempHome();
  await sampleSif(path.join(cli.home, 'a.sif'));
  const r = await cli.run(['add', '--copy', 'a.sif', '--name', 'a/b:1']);
  assert.equal(r.code, 0, r.stderr);
  dbFile = path.join(cli.home, '.singularity', 'sregistry.db');
});
after(() => cli?.cleanup());

test('images, get and inspect on a locked catalogue wait the timeout, and say so', async () => {
  // the lock is held from another process: this one's event loop must stay free to run the CLI
  const holder = new Sqlite(dbFile);
  holder.exec('BEGIN EXCLUSIVE');
  try {
    for (const args of [['images'], ['get', 'a/b:1'], ['inspect', 'a/b:1'], ['images', '--json']]) {
      const started = Date.now();
      const r = await cli.run(args, { env: { SREGISTRY_DATABASE_TIMEOUT: '1' } });
      const took = Date.now() - started;
      assert.equal(r.code, 1, r.stderr);
      const text = args.includes('--json') ? JSON.parse(r.stdout).error.message : r.stderr;
      assert.match(text, /is locked by .*\(waited 1 s\)/, args.join(' '));
      // the old reader waited 5 s twice on top of the timeout
      assert.ok(took >= 1000 && took < 5000, `${args.join(' ')} took ${took} ms for a timeout of 1 s`);
    }
  } finally {
    holder.exec('ROLLBACK');
    holder.close();
  }
});

test('a SREGISTRY_DATABASE_TIMEOUT that is not a number of seconds is refused in one line', async () => {
  for (const value of ['abc', '-5']) {
    for (const args of [['images'], ['get', 'a/b:1'], ['add', '--copy', 'a.sif', '--name', 'a/c:1']]) {
      const r = await cli.run(args, { env: { SREGISTRY_DATABASE_TIMEOUT: value } });
      assert.equal(r.code, 1, r.stderr);
      assert.equal(
        r.stderr,
        `ERROR SREGISTRY_DATABASE_TIMEOUT is "${value}", not a number of seconds; set it to the seconds to wait for a lock on the catalogue (0 or more), or unset it for the default of 30\n`,
      );
    }
  }
  const ok = await cli.run(['get', 'a/b:1'], { env: { SREGISTRY_DATABASE_TIMEOUT: '2.5' } });
  assert.equal(ok.code, 0, ok.stderr);
});
