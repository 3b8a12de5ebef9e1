import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type CliResult, cleanEnv, type RegistryServerHandle, runCli, startRegistryServer } from '@sregistry/testkit';
import { linkedPluginData, sandbox, TOKEN, USER } from './reliability-helpers';

// bin/run.js runs the plain forms of `pull` and `search` without oclif (src/fast-path.ts), with the backends of the
// plugins oclif would load (src/plugin-list.ts). These tests hold it to printing exactly what the oclif command
// prints, with the same exit codes, failures included; to finding the same plugins as oclif (linked and installed);
// and to leaving every other form, and any plugin layout it does not follow, to oclif. Ctrl-C, SIGTERM and SIGHUP
// during a pull (which now takes this path) are pull-interrupted.test.ts's.

const CLI_ROOT = path.resolve(__dirname, '..');
const OCLIF_ONLY = path.join(__dirname, 'fixtures', 'oclif-only.js');
const RECORDER = path.join(__dirname, 'fixtures', 'record-modules.cjs');
const ORAS_PLUGIN = path.resolve(__dirname, '..', '..', 'backend-oras');
let server: RegistryServerHandle;
let plugins: { dir: string; cleanup(): void };
let fast: ReturnType<typeof sandbox>;
let full: ReturnType<typeof sandbox>;

before(async () => {
  server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    seed: [
      {
        name: 'vanessa',
        owners: [USER],
        containers: [
          { name: 'tacos', tag: 'latest', file: Buffer.from('tacos image\n') },
          { name: 'burrito', tag: 'v1', file: Buffer.from('burrito image\n') },
        ],
      },
    ],
  });
  plugins = await linkedPluginData();
  // two homes with the same plugins and the same history: one runs bin/run.js, the other oclif alone
  [fast, full] = [0, 1].map(() => {
    const home = sandbox({ pluginData: plugins.dir, env: { SREGISTRY_CLIENT: 'registry' } });
    fs.writeFileSync(home.secretsFile, JSON.stringify({ registry: { username: USER, token: TOKEN, base: server.url } }), { mode: 0o600 });
    return home;
  }) as [ReturnType<typeof sandbox>, ReturnType<typeof sandbox>];
});
after(async () => {
  fast.cleanup();
  full.cleanup();
  plugins.cleanup();
  await server.close();
});

/** The result with the home folder's path written as <HOME>, so two homes' answers compare. */
function portable(result: CliResult, home: string): CliResult {
  const strip = (text: string) => text.split(home).join('<HOME>');
  return { code: result.code, stdout: strip(result.stdout), stderr: strip(result.stderr) };
}

async function both(args: string[]) {
  const viaRun = portable(await fast.run(args), fast.home);
  const viaOclif = portable(await runCli(OCLIF_ONLY, args, { env: full.env, cwd: full.home }), full.home);
  return { viaRun, viaOclif };
}

// in order: each pull changes the catalogue the next one meets, in both homes alike
const SAME_AS_OCLIF: string[][] = [
  ['pull', 'vanessa/tacos:latest'],
  ['pull', 'vanessa/tacos:latest'],
  ['pull', '--json', 'vanessa/tacos:latest'],
  ['pull', '-q', '--no-verify', 'registry://vanessa/burrito:v1'],
  ['pull', '--force', '--json', 'vanessa/burrito:v1'],
  ['pull', '--no-cache', '--name=burrito.sif', 'vanessa/burrito:v1'],
  ['pull', '--no-cache', '--name', 'burrito.sif', 'vanessa/burrito:v1'],
  ['pull', '--no-cache', '--name', 'burrito.sif', '-f', 'vanessa/burrito:v1'],
  ['pull', 'vanessa/nothere:latest'],
  ['pull', '--json', 'vanessa/nothere:latest'],
  ['pull', 'vanessa/bad name'],
  ['pull', '--json', 'nohost://vanessa/tacos'],
  ['search'],
  ['search', 'vanessa/'],
  ['search', '--json', 'vanessa/tacos:latest'],
  ['search', 'nothere/'],
  ['search', '--json', 'registry://', '/burrito'],
];

test('pull and search: the same output and exit codes with and without oclif, failures included', async () => {
  for (const args of SAME_AS_OCLIF) {
    const { viaRun, viaOclif } = await both(args);
    assert.deepEqual(viaRun, viaOclif, args.join(' '));
  }
  // the failures above are failures
  assert.equal((await fast.run(['pull', 'vanessa/nothere:latest'])).code, 1);
  assert.equal(fs.readFileSync(path.join(fast.home, 'burrito.sif'), 'utf8'), 'burrito image\n');
});

/** Runs bin/run.js in the fast home; says whether oclif was loaded. */
async function traced(args: string[], env: Record<string, string> = {}) {
  const out = path.join(fast.home, `modules-${process.hrtime.bigint()}.json`);
  const result = await fast.run(args, { env: { NODE_OPTIONS: `--require ${RECORDER}`, RECORD_MODULES_TO: out, ...env } });
  const modules = JSON.parse(fs.readFileSync(out, 'utf8')) as string[];
  fs.rmSync(out);
  return { result, oclif: modules.some((m) => m.includes(`${path.sep}@oclif${path.sep}core${path.sep}`) || m.endsWith('oclif-bundle.js')) };
}

test('the plain forms of pull and search do not load oclif; every other form goes through it', async () => {
  for (const args of [
    ['pull', '--json', 'vanessa/tacos:latest'],
    ['--quiet', 'pull', '--no-verify', '-f', 'vanessa/tacos:latest'],
    ['pull', 'vanessa/nothere:latest'],
    ['search', 'vanessa/'],
    ['search', '--json'],
  ]) {
    const { result, oclif } = await traced(args);
    assert.equal(oclif, false, `${args.join(' ')}: ${result.stderr}`);
  }
  const cases: { args: string[]; code: number }[] = [
    { args: ['pull'], code: 2 },
    { args: ['pull', 'a/b', 'c/d'], code: 2 },
    { args: ['pull', '--bogus', 'vanessa/tacos:latest'], code: 2 },
    { args: ['pull', '--name'], code: 2 },
    { args: ['pull', '--force', '--force', 'vanessa/tacos:latest'], code: 0 },
    { args: ['pull', '--debug', 'vanessa/tacos:latest'], code: 0 },
    { args: ['pull', '--help'], code: 0 },
    { args: ['pull', '--', 'vanessa/tacos:latest'], code: 0 },
    { args: ['search', '--bogus'], code: 2 },
    { args: ['search', '-h'], code: 0 },
  ];
  for (const { args, code } of cases) {
    const { result, oclif } = await traced(args);
    assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(oclif, true, args.join(' '));
  }
});

/** discoverBackends over oclif's plugin list and over the fast path's, in a child with the given data folder. */
function backendsBothWays(dataHome: string): { oclif: unknown; fast: unknown } {
  const script = `
    const path = require('node:path');
    const root = ${JSON.stringify(CLI_ROOT)};
    const core = require(require.resolve('@sregistry/core/local', { paths: [root] }));
    const { readPlugins } = require(path.join(root, 'dist', 'plugin-list.js'));
    const pick = (list) => list.map((e) => ({ name: e.name, modulePath: e.modulePath, schemes: e.schemes, plugin: e.plugin, source: e.source, version: e.pluginVersion }));
    globalThis.oclif = { enableAutoTranspile: false };
    require(require.resolve('@oclif/core', { paths: [root] })).Config.load({ root }).then((config) => {
      const listed = readPlugins(root, require(path.join(root, 'package.json')));
      process.stdout.write(JSON.stringify({
        oclif: pick(core.discoverBackends(config.plugins.values())),
        fast: listed ? pick(core.discoverBackends(listed)) : null,
      }));
    });`;
  const env = cleanEnv({ HOME: dataHome, XDG_DATA_HOME: dataHome, XDG_CACHE_HOME: path.join(dataHome, '.cache') });
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }));
}

test('the fast path finds the plugins oclif finds: shipped, linked and installed', async () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-plugin-list-'));
  try {
    // nothing installed: the shipped hub backend only
    let seen = backendsBothWays(data);
    assert.deepEqual(seen.fast, seen.oclif);
    assert.deepEqual(
      (seen.oclif as { name: string }[]).map((e) => e.name),
      ['hub'],
    );
    // an installed plugin (as `plugins install` leaves it) beside a linked one
    const folder = path.join(data, 'sregistry');
    fs.mkdirSync(path.join(folder, 'node_modules', '@sregistry'), { recursive: true });
    fs.symlinkSync(ORAS_PLUGIN, path.join(folder, 'node_modules', '@sregistry', 'backend-oras'));
    fs.writeFileSync(
      path.join(folder, 'package.json'),
      JSON.stringify({
        private: true,
        dependencies: { '@sregistry/backend-oras': '*' },
        oclif: {
          schema: 1,
          plugins: [
            { name: '@sregistry/backend-oras', type: 'user', tag: 'latest' },
            { name: '@sregistry/backend-registry', type: 'link', root: path.resolve(CLI_ROOT, '..', 'backend-registry') },
          ],
        },
      }),
    );
    seen = backendsBothWays(data);
    assert.deepEqual(seen.fast, seen.oclif);
    assert.deepEqual(
      (seen.oclif as { name: string; source: string }[]).map((e) => `${e.name}:${e.source}`),
      ['hub:core', 'oras:user', 'registry:link'],
    );
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
});

test('a plugin with a hook oclif runs around commands sends pull and search to oclif, which runs the hook', async () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-hooked-'));
  const hooked = path.join(data, 'hooked-plugin');
  try {
    fs.mkdirSync(hooked);
    fs.writeFileSync(
      path.join(hooked, 'package.json'),
      JSON.stringify({ name: 'sregistry-hooked', version: '1.0.0', oclif: { hooks: { init: './hook.js' } } }),
    );
    fs.writeFileSync(path.join(hooked, 'hook.js'), "module.exports = async () => { process.stderr.write('init hook ran\\n'); };\n");
    const linked = JSON.parse(fs.readFileSync(path.join(plugins.dir, 'sregistry', 'package.json'), 'utf8'));
    linked.oclif.plugins.push({ name: 'sregistry-hooked', type: 'link', root: hooked });
    fs.mkdirSync(path.join(data, 'sregistry'));
    fs.writeFileSync(path.join(data, 'sregistry', 'package.json'), JSON.stringify(linked));
    for (const args of [
      ['search', 'vanessa/'],
      ['pull', '--json', 'vanessa/tacos:latest'],
    ]) {
      const { result, oclif } = await traced(args, { XDG_DATA_HOME: data });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(oclif, true, args.join(' '));
      assert.match(result.stderr, /init hook ran/);
    }
    // a data folder whose package.json cannot be read is oclif's to report
    fs.writeFileSync(path.join(data, 'sregistry', 'package.json'), '{ not json');
    const { oclif } = await traced(['search', 'vanessa/'], { XDG_DATA_HOME: data });
    assert.equal(oclif, true, 'an unreadable plugin list');
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
});
