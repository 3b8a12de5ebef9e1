import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { startVerdaccio } from '../../testkit/src/verdaccio';
import { cliInTempHome } from './helpers';

// The `plugins` commands come from @oclif/plugin-plugins; src/plugins-commands.ts registers each under the same id
// with the global flags and sregistry's failures. These tests fail if oclif stops running the CLI's own command for
// an id that plugin-plugins also has, or if plugin-plugins stops parsing through the command's parse().

const REGISTRY_PLUGIN = path.resolve(__dirname, '..', '..', 'backend-registry');
// npm pointed at a closed port: an install fails at once, without the internet
const cli = cliInTempHome({ npm_config_registry: 'http://127.0.0.1:9/', npm_config_fetch_retries: '0' });
after(() => cli.cleanup());

test('plugins commands take the global flags, before or after the command', async () => {
  for (const args of [
    ['plugins', '-q'],
    ['--quiet', 'plugins'],
    ['plugins', '--debug'],
    ['plugins', 'ls', '--quiet', '--debug'],
  ]) {
    const r = await cli.run(args);
    assert.deepEqual(
      { code: r.code, stdout: r.stdout, stderr: r.stderr },
      { code: 0, stdout: 'No plugins installed.\n', stderr: '' },
      args.join(' '),
    );
  }
  const uninstall = await cli.run(['plugins', 'uninstall', 'nosuch', '-q']);
  assert.deepEqual(
    { code: uninstall.code, stderr: uninstall.stderr },
    { code: 1, stderr: 'ERROR nosuch is not installed; see: sregistry plugins uninstall --help\n' },
  );
});

test('an unknown flag of a plugins command is one line, exit 2, or the JSON envelope', async () => {
  for (const [args, stderr] of [
    [['plugins', '--bogus'], 'ERROR unknown flag --bogus (see --help)\n'],
    [['plugins', 'link', REGISTRY_PLUGIN, '--nope'], 'ERROR unknown flag --nope (see --help)\n'],
    [['plugins', '--cor'], 'ERROR unknown flag --cor; did you mean --core? (see --help)\n'],
  ] as [string[], string][]) {
    const r = await cli.run(args);
    assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 2, stdout: '', stderr }, args.join(' '));
  }
  const json = await cli.run(['plugins', 'uninstall', 'x', '--bogus', '--json']);
  assert.equal(json.code, 2);
  assert.deepEqual(JSON.parse(json.stdout), {
    error: { message: 'unknown flag --bogus', fix: 'see --help', code: 'EUSAGE', exitCode: 2 },
  });
});

test('failures of plugins commands under --json are the envelope alone, with the exit code of the process', async () => {
  for (const args of [
    ['plugins', 'install', 'sregistry-backend-doesnotexist-zz9', '--json'],
    ['plugins', 'inspect', 'nosuch', '--json'],
    ['plugins', 'uninstall', 'nosuch', '--json'],
  ]) {
    const r = await cli.run(args);
    const { error } = JSON.parse(r.stdout) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(error).sort(), ['code', 'exitCode', 'fix', 'message'], r.stdout);
    // this CLI's npm registry is a closed port: the install says that, naming the registry
    const install = args[1] === 'install';
    assert.equal(error.code, install ? 'ENETWORK' : 'EUSER', args.join(' '));
    assert.equal(error.exitCode, r.code, args.join(' '));
    assert.equal(r.code, 1, args.join(' '));
    assert.match(String(error.message), install ? /^the npm registry http:\/\/127\.0\.0\.1:9\/ could not be reached/ : /nosuch/);
  }
});

test('plugins inspect of a plugin that is not installed: the error line alone', async () => {
  const r = await cli.run(['plugins', 'inspect', 'nosuch']);
  assert.deepEqual(
    { code: r.code, stdout: r.stdout, stderr: r.stderr },
    { code: 1, stdout: '', stderr: 'ERROR nosuch not installed; see: sregistry plugins inspect --help\n' },
  );
});

test('plugins ls --json lists what the text lists: name, version, type and root', async () => {
  for (const args of [
    ['plugins', '--json'],
    ['plugins', 'ls', '--json'],
  ]) {
    const r = await cli.run(args);
    assert.deepEqual({ code: r.code, json: JSON.parse(r.stdout) }, { code: 0, json: [] }, args.join(' '));
  }
  const core = await cli.run(['plugins', '--core', '--json']);
  assert.equal(core.code, 0, core.stderr);
  assert.ok(
    JSON.parse(core.stdout).some((p: { type: string }) => p.type === 'core'),
    "--core is the command's own flag under --json too",
  );
  const link = await cli.run(['plugins', 'link', REGISTRY_PLUGIN, '--no-install', '--json']);
  assert.equal(link.code, 0, link.stderr);
  assert.deepEqual(JSON.parse(link.stdout), { command: 'plugins link', done: true }, 'one document under --json');
  try {
    const [text, json] = await Promise.all([cli.run(['plugins', 'ls']), cli.run(['plugins', 'ls', '--json'])]);
    assert.equal(text.stdout, `@sregistry/backend-registry 0.1.0 (link) ${REGISTRY_PLUGIN}\n`);
    assert.deepEqual(JSON.parse(json.stdout), [
      { name: '@sregistry/backend-registry', version: '0.1.0', type: 'link', root: REGISTRY_PLUGIN },
    ]);
  } finally {
    await cli.run(['plugins', 'unlink', '@sregistry/backend-registry']);
  }
});

test('plugins install of an npm package that is no plugin: one line naming it, and nothing of it left', async () => {
  // a private registry (in this process, no uplink) holding one package without an "oclif" section
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-notaplugin-'));
  const verdaccio = await startVerdaccio({ storage: path.join(storage, 'registry'), uplink: false });
  const other = cliInTempHome({ npm_config_registry: verdaccio.url, npm_config_fetch_retries: '0' });
  try {
    const pkg = path.join(storage, 'pkg');
    fs.mkdirSync(pkg);
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'notaplugin-zz9', version: '1.0.0' }));
    fs.writeFileSync(path.join(pkg, 'index.js'), 'module.exports = 1;\n');
    const published = await new Promise<string | undefined>((resolve) =>
      execFile('npm', ['publish', '--registry', verdaccio.url, '--userconfig', verdaccio.npmrcPath], { cwd: pkg }, (error, _out, err) =>
        resolve(error ? `${error.message}\n${err}` : undefined),
      ),
    );
    assert.equal(published, undefined, 'npm publish');
    const dataDir = path.join(other.home, '.local', 'share', 'sregistry');
    const locks = [path.join(dataDir, 'package-lock.json'), path.join(dataDir, 'node_modules', '.package-lock.json')];
    const lockText = () => locks.map((file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined));
    const text = await other.run(['plugins', 'install', 'notaplugin-zz9']);
    assert.equal(text.code, 1, text.stderr);
    // only the error: not plugin-plugins' "Installing plugin notaplugin-zz9@latest... failed" before it
    assert.match(
      text.stderr,
      /^ERROR notaplugin-zz9 is not an sregistry plugin \(its package.json has no "oclif" section\); install a backend plugin, such as @sregistry\/backend-oras [^\n]*\n$/,
    );
    const left = fs.readdirSync(path.join(dataDir, 'node_modules')).filter((name) => !name.startsWith('.'));
    assert.deepEqual(left, [], 'the failed install leaves nothing');
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dataDir, 'package.json'), 'utf8')).dependencies, {});
    assert.deepEqual(lockText(), [undefined, undefined], "npm's lockfiles are as before (there were none)");
    // lockfiles there before the install are put back as they were
    const before = JSON.stringify({ name: 'sregistry', lockfileVersion: 3, requires: true, packages: { '': { name: 'sregistry' } } });
    for (const file of locks) fs.writeFileSync(file, before);
    const again = await other.run(['plugins', 'install', 'notaplugin-zz9']);
    assert.equal(again.code, 1, again.stderr);
    assert.deepEqual(lockText(), [before, before]);
    assert.ok(!lockText().some((t) => t?.includes('notaplugin-zz9')));
    // a version the registry does not have: npm's failure is our one line, nothing on stdout
    const missing = await other.run(['plugins', 'install', 'notaplugin-zz9@9.9.9']);
    assert.equal(missing.code, 1, missing.stderr);
    assert.equal(missing.stdout, '');
    assert.match(
      missing.stderr,
      /^ERROR npm could not install notaplugin-zz9@9\.9\.9 \(it exited with code \d+: .*\); see npm's own words with: /,
    );
    assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
    // npm warns on stdout of an npm_config_* it does not know (pnpm's script runner sets some): not before the document
    const json = await other.run(['plugins', 'install', 'notaplugin-zz9', '--json'], {
      env: { npm_config_verify_deps_before_run: 'false' },
    });
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).error.code, 'EPLUGIN');
    assert.match(JSON.parse(json.stdout).error.message, /^notaplugin-zz9 is not an sregistry plugin/);
  } finally {
    other.cleanup();
    await verdaccio.close();
    fs.rmSync(storage, { recursive: true, force: true });
  }
});

test('plugins install of an invalid npm name names it', async () => {
  const r = await cli.run(['plugins', 'install', 'Bad Name!!']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^ERROR Bad Name!! is not a valid npm package name \(give a plugin's npm name, such as @sregistry\/backend-oras/);
});
