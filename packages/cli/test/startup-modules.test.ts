import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type RegistryServerHandle, runCli, startRegistryServer } from '@sregistry/testkit';
import { cliInTempHome } from './helpers';
import { linkedPluginData, TOKEN, USER } from './reliability-helpers';

// What a command loads is most of what it costs (docs/performance.md, "Startup"). These tests hold each command to
// loading only its parts, through the module recorder the fast-path test uses, and the oclif bundle to printing
// what oclif itself prints.

const OCLIF_ONLY = path.join(__dirname, 'fixtures', 'oclif-only.js');
const RECORDER = path.join(__dirname, 'fixtures', 'record-modules.cjs');
let server: RegistryServerHandle;
let plugins: { dir: string; cleanup(): void };
let cli: ReturnType<typeof cliInTempHome>;
let extraEnv: Record<string, string>;

before(async () => {
  server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    seed: [{ name: 'vanessa', owners: [USER], containers: [{ name: 'tacos', tag: 'latest', file: Buffer.from('tacos image\n') }] }],
  });
  plugins = await linkedPluginData();
  extraEnv = { XDG_DATA_HOME: plugins.dir, SREGISTRY_CLIENT: 'registry' };
  cli = cliInTempHome(extraEnv);
  fs.writeFileSync(path.join(cli.home, '.sregistry'), JSON.stringify({ registry: { username: USER, token: TOKEN, base: server.url } }), {
    mode: 0o600,
  });
});
after(async () => {
  cli.cleanup();
  plugins.cleanup();
  await server.close();
});

/** Runs bin/run.js and returns the modules it loaded (require's cache at exit). */
async function loaded(args: string[], env: Record<string, string> = {}) {
  const out = path.join(cli.home, `modules-${process.hrtime.bigint()}.json`);
  const result = await cli.run(args, { env: { NODE_OPTIONS: `--require ${RECORDER}`, RECORD_MODULES_TO: out, ...env } });
  const modules = JSON.parse(fs.readFileSync(out, 'utf8')) as string[];
  fs.rmSync(out);
  return { result, modules };
}

const has = (modules: string[], part: string) => modules.some((m) => m.includes(part));
const CATALOGUE = path.join('catalog', 'bundle.js');
// the SQLite catalogue is plain SQL: only the PostgreSQL catalogue loads TypeORM (its bundle, or its modules)
const typeorm = (modules: string[]) =>
  modules.some((m) => m.endsWith(path.join('catalog', 'typeorm-bundle.js')) || m.includes(`${path.sep}typeorm${path.sep}`));
const AXIOS = path.join('transfer', 'axios-bundle.js');
// OpenPGP, DSSE and the keyring: only for pulls with --verify
const SIGNATURES = `${path.sep}${path.join('sif', 'signature')}${path.sep}`;
// Node's fetch (undici) and http2, which axios's top level would load for nothing, and TLS, which a plain-http
// request does not need (direct-send.ts)
const UNUSED_BY_REQUESTS = ['node:internal/deps/undici/undici', 'node:http2', 'node:tls', 'node:https'];

test('backend status and --help load neither the catalogue, axios nor the collator, and semver as one file', async () => {
  for (const args of [['backend', 'status'], ['--help']]) {
    const { result, modules } = await loaded(args);
    assert.equal(result.code, 0, result.stderr);
    // nor ICU's collator to sort command ids and backend names (core's compareLikeLocale)
    assert.deepEqual(
      { catalogue: has(modules, CATALOGUE), axios: has(modules, AXIOS), collator: has(modules, 'intl:collator') },
      { catalogue: false, axios: false, collator: false },
      args.join(' '),
    );
    assert.deepEqual(
      modules.filter((m) => m.includes(`${path.sep}node_modules${path.sep}semver${path.sep}`)),
      [],
      'semver comes from the bundle',
    );
  }
  const { modules } = await loaded(['backend', 'status']);

  assert.equal(has(modules, 'levenshtein'), false, 'typo suggestions load only for a typo');
  // keeping the plugins' range verdicts loads their one file, not core's fast-path entry with its sessions
  const help = await loaded(['--help']);
  assert.ok(has(help.modules, path.join('backends', 'range-verdicts.js')));
  assert.deepEqual(
    help.modules.filter((m) => m.endsWith(path.join('core', 'dist', 'local.js')) || m.endsWith(path.join('ops', 'session.js'))),
    [],
  );
});

test("the plugins' core ranges are checked with semver once, and the verdicts kept in the cache folder", async () => {
  const cache = path.join(cli.home, 'range-cache');
  const kept = path.join(cache, 'core-ranges.json');
  const semver = path.join('backends', 'semver-bundle.js');
  // every backend package here states the same range on core, as a workspace: range
  const packages = path.join(__dirname, '..', '..');
  const pjson = (name: string) => JSON.parse(fs.readFileSync(path.join(packages, name, 'package.json'), 'utf8'));
  const range = String(pjson('backend-registry').peerDependencies['@sregistry/core']).replace(/^workspace:/, '');
  const verdicts = [[`${range} ${pjson('core').version}`, true]];
  // an oclif command (backend status takes the fast path, which checks no plugin)
  const first = await loaded(['backend', 'ls'], { SREGISTRY_CACHE_DIR: cache });
  assert.equal(first.result.code, 0, first.result.stderr);
  assert.ok(has(first.modules, semver), 'checked with semver');
  assert.deepEqual(JSON.parse(fs.readFileSync(kept, 'utf8')), verdicts);
  const second = await loaded(['backend', 'ls'], { SREGISTRY_CACHE_DIR: cache });
  assert.equal(has(second.modules, semver), false, 'the kept verdict answers');
  assert.equal(second.result.stdout, first.result.stdout);
  // a damaged file only means checking again, and it is written anew
  fs.writeFileSync(kept, '{not json');
  const third = await loaded(['backend', 'ls'], { SREGISTRY_CACHE_DIR: cache });
  assert.equal(third.result.code, 0, third.result.stderr);
  assert.ok(has(third.modules, semver));
  assert.deepEqual(JSON.parse(fs.readFileSync(kept, 'utf8')), verdicts);
});

test('search over plain http loads neither axios nor the catalogue, the SIF reader or the download pipeline, nor fetch or http2', async () => {
  const { result, modules } = await loaded(['search', 'vanessa/']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /vanessa\/tacos:latest/);
  assert.deepEqual(
    { catalogue: has(modules, CATALOGUE), axios: has(modules, AXIOS), collator: has(modules, 'intl:collator') },
    { catalogue: false, axios: false, collator: false },
  );
  // the SIF reader and the download pipeline (hash threads) are for pushes and pulls
  assert.deepEqual(
    modules.filter(
      (m) => m.includes(`${path.sep}sif${path.sep}`) || m.endsWith(path.join('transfer', 'hasher.js')) || m === 'node:worker_threads',
    ),
    [],
  );
  assert.deepEqual(
    modules.filter((m) => UNUSED_BY_REQUESTS.includes(m)),
    [],
  );
});

test('a pull over plain http writes the SQLite catalogue without TypeORM, axios, TLS, fetch, http2 or the signature code', async () => {
  const { result, modules } = await loaded(['pull', '--json', 'vanessa/tacos:latest']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(fs.readFileSync(JSON.parse(result.stdout).path, 'utf8'), 'tacos image\n');
  assert.deepEqual(
    { catalogue: has(modules, CATALOGUE), typeorm: typeorm(modules), axios: has(modules, AXIOS), signatures: has(modules, SIGNATURES) },
    { catalogue: true, typeorm: false, axios: false, signatures: false },
  );
  // the format check only, not the SIF reader (its metadata, descriptors and gzip peek are for inspect)
  assert.deepEqual(
    modules.filter((m) => m.endsWith(path.join('sif', 'read-sif.js')) || m.endsWith(path.join('sif', 'inspect.js'))),
    [],
  );
  // and the row is there for the next command
  const listed = await cli.run(['images', '--json']);
  assert.equal(JSON.parse(listed.stdout)[0]?.uri, JSON.parse(result.stdout).uri);
  assert.deepEqual(
    modules.filter((m) => UNUSED_BY_REQUESTS.includes(m)),
    [],
  );
});

const OCLIF_LIB = `${path.sep}@oclif${path.sep}core${path.sep}lib${path.sep}`;

test('oclif commands load @oclif/core as the one bundled file', async () => {
  for (const args of [['backend', 'ls'], ['--help'], ['help', 'pull'], ['rmi', 'nothere/at-all']]) {
    const { modules } = await loaded(args);
    assert.ok(
      modules.some((m) => m.endsWith(path.join('dist', 'oclif-bundle.js'))),
      `${args.join(' ')}: the bundle was loaded`,
    );
    const files = modules.filter((m) => m.includes(OCLIF_LIB));
    // its entry is in require's cache (the bundle stands in for it); no other file of oclif's is
    assert.deepEqual(
      files.map((m) => path.basename(m)),
      ['index.js'],
      `${args.join(' ')} loaded oclif's own files: ${files.join(', ')}`,
    );
  }
});

test('the bundled oclif prints what @oclif/core itself prints: help, typos, usage errors, plugins', async () => {
  for (const args of [['--help'], ['help', 'pull'], ['backend', '--help'], ['backend', 'status'], ['pul'], ['get'], ['plugins']]) {
    const [bundled, plain] = await Promise.all([
      cli.run(args),
      runCli(OCLIF_ONLY, args, { env: { ...cli.env, ...extraEnv }, cwd: cli.home }),
    ]);
    assert.deepEqual(bundled, plain, args.join(' '));
  }
});
