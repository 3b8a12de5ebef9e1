import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { cliInTempHome } from './helpers';

const COMPILE_CACHE = path.resolve(__dirname, '..', 'bin', 'compile-cache.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-compile-cache-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** A fresh process that enables the Node 20 cache in `dir`, requires `modules` and reports their exports and the stats. */
async function load(dir: string, modules: string[]): Promise<{ values: unknown[]; hits: number; misses: number }> {
  const script = `
    const stats = require(${JSON.stringify(COMPILE_CACHE)}).cacheCompiledModules(${JSON.stringify(dir)});
    const values = ${JSON.stringify(modules)}.map((m) => require(m));
    process.stdout.write(JSON.stringify({ values, hits: stats.hits, misses: stats.misses }));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script]);
  return JSON.parse(stdout);
}

test('a second process compiles from the cache, and an edited file of the same length is compiled afresh', async () => {
  const dir = path.join(work, 'cache-1');
  const mod = path.join(work, 'answer.js');
  fs.writeFileSync(mod, "#!/usr/bin/env node\nmodule.exports = 'aaaa' + require('node:path').sep;\n");
  assert.deepEqual(await load(dir, [mod]), { values: ['aaaa/'], hits: 0, misses: 1 });
  assert.equal(fs.readdirSync(dir).length, 1, 'one store file, written at exit');
  assert.deepEqual(await load(dir, [mod]), { values: ['aaaa/'], hits: 1, misses: 0 });
  // V8 itself checks only the source length: without the content hash this would run the old code
  fs.writeFileSync(mod, "#!/usr/bin/env node\nmodule.exports = 'bbbb' + require('node:path').sep;\n");
  assert.deepEqual(await load(dir, [mod]), { values: ['bbbb/'], hits: 0, misses: 1 });
  assert.deepEqual(await load(dir, [mod]), { values: ['bbbb/'], hits: 1, misses: 0 });
});

test('files with import() are left to Node, and a damaged store only means compiling from source', async () => {
  const dir = path.join(work, 'cache-2');
  const dynamic = path.join(work, 'dynamic.js');
  fs.writeFileSync(dynamic, "module.exports = () => import('node:path');\n");
  assert.deepEqual(await load(dir, [dynamic]), { values: [null], hits: 0, misses: 0 });

  const plain = path.join(work, 'plain.js');
  fs.writeFileSync(plain, 'module.exports = 42;\n');
  await load(dir, [plain]);
  const [store] = fs.readdirSync(dir);
  fs.writeFileSync(path.join(dir, store), 'garbage');
  assert.deepEqual(await load(dir, [plain]), { values: [42], hits: 0, misses: 1 });
  assert.deepEqual(await load(dir, [plain]), { values: [42], hits: 1, misses: 0 }, 'rewritten whole');
});

test('the CLI keeps its compile cache in its cache folder and works from it', async () => {
  const cli = cliInTempHome();
  try {
    // an oclif command: the fast path's local forms (backend status, images) compile little and keep no cache
    const first = await cli.run(['backend', 'ls', '--json']);
    assert.equal(first.code, 0, first.stderr);
    const dir = path.join(cli.env.XDG_CACHE_HOME, 'sregistry', 'compile-cache');
    const [store] = fs.readdirSync(dir);
    assert.match(store, /^v8-v\d+\.\d+\.\d+-\w+-[\w.-]+\.bin$/);
    assert.ok(fs.statSync(path.join(dir, store)).size > 100_000, 'oclif and the commands are in it');
    const second = await cli.run(['backend', 'ls', '--json']);
    assert.deepEqual(second, first);
  } finally {
    cli.cleanup();
  }
});

/** The file names a store holds (its JSON index). */
function storedFiles(file: string): string[] {
  const buffer = fs.readFileSync(file);
  const index = JSON.parse(buffer.toString('utf8', 4, 4 + buffer.readUInt32LE(0))) as [string, string, number][];
  return index.map(([filename]) => filename);
}

test('a repeated command compiles everything from the cache: the oclif bundle is in it and nothing is written again', async () => {
  const cli = cliInTempHome();
  try {
    for (const args of [['--help'], ['backend', 'status'], ['rmi', 'nothere/at-all']]) await cli.run(args);
    const dir = path.join(cli.env.XDG_CACHE_HOME, 'sregistry', 'compile-cache');
    const [name] = fs.readdirSync(dir);
    const store = path.join(dir, name);
    const files = storedFiles(store);
    for (const bundle of [path.join('cli', 'dist', 'oclif-bundle.js'), path.join('catalog', 'bundle.js')]) {
      assert.ok(
        files.some((f) => f.endsWith(bundle)),
        `${bundle} is cached`,
      );
    }
    // a store is written only when a module missed the cache: the same commands again must all hit
    const before = fs.readFileSync(store);
    fs.utimesSync(store, new Date(0), new Date(0));
    for (const args of [['--help'], ['backend', 'status'], ['rmi', 'nothere/at-all']]) await cli.run(args);
    assert.equal(fs.statSync(store).mtimeMs, 0, 'not rewritten');
    assert.ok(fs.readFileSync(store).equals(before));
  } finally {
    cli.cleanup();
  }
});

test('a cache folder that cannot be made (SREGISTRY_CACHE_DIR is a regular file) is silent and keeps the exit code', async () => {
  const cli = cliInTempHome();
  try {
    const file = path.join(cli.home, 'not-a-folder');
    fs.writeFileSync(file, 'x');
    // with the compile cache (the oclif path) and without it (only the plugins' range verdicts are kept)
    for (const extra of [{}, { NODE_DISABLE_COMPILE_CACHE: '1' }]) {
      const result = await cli.run(['backend', 'ls'], { env: { SREGISTRY_CACHE_DIR: file, ...extra } });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '');
      assert.match(result.stdout, /hub/);
    }
    assert.equal(fs.readFileSync(file, 'utf8'), 'x');
  } finally {
    cli.cleanup();
  }
});
