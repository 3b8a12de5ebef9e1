import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { cliInTempHome } from './helpers';

// better-sqlite3 without its native part (install scripts skipped, no compiler, another Node's ABI), made
// unloadable by a preloaded fixture: every catalogue command says so in one line, with the fix.

const cli = cliInTempHome();
after(() => cli.cleanup());
const PRELOAD = path.join(__dirname, 'fixtures', 'no-sqlite-native.cjs');

test('a missing or mismatched native module is one line naming the cause and the fix, exit 1', async () => {
  const ok = await cli.run(['images']);
  assert.equal(ok.code, 0, `the catalogue works without the fixture: ${ok.stderr}`);
  const fix = 'run: npm rebuild better-sqlite3 (where sregistry is installed), or reinstall with build tools (python3, make, g++)';
  const node = `Node ${process.version}, ABI ${process.versions.modules}`;
  const causes = {
    missing: `has no native build for this Node (${node})`,
    abi: `was built for another Node version than this one (${node})`,
  };
  for (const [mode, cause] of Object.entries(causes)) {
    for (const args of [['images'], ['get', 'a/b'], ['rmi', 'a/b'], ['inspect', 'a/b', '--json']]) {
      const r = await cli.run(args, { env: { NODE_OPTIONS: `--require ${PRELOAD}`, NO_SQLITE_NATIVE: mode } });
      const what = `${mode}: ${args.join(' ')}`;
      assert.equal(r.code, 1, what);
      if (args.includes('--json')) {
        assert.equal(JSON.parse(r.stdout).error.code, 'ESQLITEDRIVER', what);
        continue;
      }
      assert.equal(r.stderr, `ERROR the SQLite module better-sqlite3 ${cause}, so the local catalogue cannot be opened; ${fix}\n`, what);
    }
  }
});

test('a command that needs no catalogue still works without the native module', async () => {
  const r = await cli.run(['backend', 'status'], { env: { NODE_OPTIONS: `--require ${PRELOAD}`, NO_SQLITE_NATIVE: 'missing' } });
  assert.equal(r.code, 0, r.stderr);
});
