// Plugin distribution end to end, the way users get sregistry: the workspace is versioned with its changesets and
// published to a private registry (verdaccio, in this process), the CLI is installed from it into an empty folder,
// and the registry backend is installed as a plugin, used, and removed. The example third-party backend is linked.
// The real checkout is never modified: versioning and publishing happen in a temporary copy.
//
// Slow parts and how they are kept off repeated runs (all kept in $SREGISTRY_E2E_CACHE, default
// .tmp/e2e-cache in the checkout): npm's download cache, verdaccio's copy of the public packages, and the native
// better-sqlite3 binary. npm compiles that from source (~100-250 s); the workspace install has already compiled the
// same version for this Node, so the installed CLI gets that binary. SREGISTRY_E2E_NATIVE=build runs npm's own
// install scripts instead (the full cold path).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CliResult, makeTempHome, runCli, type TempHome } from '../src/cli-runner';
import { type FolderServer, serveFolder } from '../src/conformance/static-server';
import { startLibraryServer } from '../src/library-server/index';
import { distributionAvailable, startDistribution } from '../src/oci-registry/index';
import { type RegistryServerHandle, startRegistryServer } from '../src/registry-server/index';
import { sampleSif } from '../src/sif-writer';
import { startVerdaccio, type VerdaccioHandle } from '../src/verdaccio';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PACKAGES = ['core', 'cli', 'backend-registry', 'backend-hub', 'backend-oras', 'backend-library', 'testkit'];
const FIXTURE = path.join(ROOT, 'packages', 'testkit', 'fixtures', 'backend-folder');
// inside the checkout's ignored .tmp/, so a test run leaves nothing in the user's home
const CACHE = process.env.SREGISTRY_E2E_CACHE ?? path.join(ROOT, '.tmp', 'e2e-cache');
const PNPM = fs.existsSync(path.join(ROOT, '.tools', 'node_modules', '.bin', 'pnpm'))
  ? path.join(ROOT, '.tools', 'node_modules', '.bin', 'pnpm')
  : 'pnpm';
const USER = 'dinosaur';
const TOKEN = 'e2e-plugins-token'.padEnd(40, '3');
const TACOS = Buffer.from('tacos from the registry\n'.repeat(100));

/** The environment of this process minus npm's (`npm test` exports its config, user npmrc and cache included). */
function withoutNpm(extra: Record<string, string | undefined>): Record<string, string | undefined> {
  const drop = Object.fromEntries(
    Object.keys(process.env)
      .filter((k) => /^npm_/i.test(k))
      .map((k) => [k, undefined]),
  );
  return { ...drop, ...extra };
}

/** Runs a program asynchronously (verdaccio answers from this process, so nothing may block it). */
function run(file: string, args: string[], options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number }) {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...withoutNpm(options.env ?? {}) })) if (v !== undefined) env[k] = v;
  return new Promise<CliResult & { ms: number }>((resolve) => {
    const started = Date.now();
    execFile(
      file,
      args,
      { cwd: options.cwd, env, timeout: options.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code) || 1 : 0,
          stdout: String(stdout),
          stderr: String(stderr),
          ms: Date.now() - started,
        }),
    );
  });
}

function assertOk(r: CliResult, what: string): void {
  assert.equal(r.code, 0, `${what} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
}

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** The workspace without installs, builds' bookkeeping or git: what a release job would version and publish. */
function copyWorkspace(dest: string): void {
  for (const pkg of PACKAGES) {
    assert.ok(fs.existsSync(path.join(ROOT, 'packages', pkg, 'dist')), `packages/${pkg}/dist is missing: build first (npm run build)`);
  }
  const skip = new Set(['node_modules', '.tsbuildinfo', 'tsconfig.tsbuildinfo', 'oclif.manifest.json', 'CHANGELOG.md', 'test']);
  for (const entry of [
    'package.json',
    'pnpm-workspace.yaml',
    'pnpm-lock.yaml',
    'tsconfig.json',
    'tsconfig.base.json',
    '.changeset',
    'packages',
  ]) {
    // oclif manifests are left out on purpose: the packages' prepack scripts must make them
    fs.cpSync(path.join(ROOT, entry), path.join(dest, entry), { recursive: true, filter: (src) => !skip.has(path.basename(src)) });
  }
}

/** better-sqlite3's compiled binary for the installed CLI, without compiling it again when this Node already has one. */
async function provideNativeBinary(app: string, log: string[]): Promise<void> {
  const pkgDir = path.join(app, 'node_modules', 'better-sqlite3');
  const version = readJson(path.join(pkgDir, 'package.json')).version as string;
  const binary = path.join(pkgDir, 'build', 'Release', 'better_sqlite3.node');
  const cached = path.join(
    CACHE,
    'native',
    `better_sqlite3-${version}-${process.platform}-${process.arch}-abi${process.versions.modules}.node`,
  );
  if (!fs.existsSync(cached)) {
    const workspacePkg = require.resolve('better-sqlite3/package.json', { paths: [path.join(ROOT, 'packages', 'core')] });
    const workspaceBinary = path.join(path.dirname(workspacePkg), 'build', 'Release', 'better_sqlite3.node');
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    if (readJson(workspacePkg).version === version && fs.existsSync(workspaceBinary)) {
      fs.copyFileSync(workspaceBinary, cached);
      log.push(`native: better-sqlite3 ${version} from the workspace build`);
    } else {
      const r = await run('npm', ['rebuild', 'better-sqlite3'], {
        cwd: app,
        env: { npm_config_nodedir: process.env.npm_config_nodedir || '/usr' },
      });
      assertOk(r, 'npm rebuild better-sqlite3');
      fs.copyFileSync(binary, cached);
      log.push(`native: better-sqlite3 ${version} compiled in ${r.ms} ms`);
      return;
    }
  } else {
    log.push(`native: better-sqlite3 ${version} from ${cached}`);
  }
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  fs.copyFileSync(cached, binary);
}

describe('plugin distribution: publish, install the CLI, install/use/uninstall plugins', { timeout: 900_000 }, () => {
  const timings: string[] = [];
  let work: string;
  let ws: string;
  let app: string;
  let bin: string;
  let verdaccio: VerdaccioHandle;
  let registry: RegistryServerHandle;
  let folder: FolderServer | undefined;
  let home: TempHome;
  let versions: Record<string, string>;
  let sregistry: (args: string[], env?: Record<string, string | undefined>) => Promise<CliResult & { ms: number }>;

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-e2e-'));
    ws = path.join(work, 'ws');
    app = path.join(work, 'app');
    fs.mkdirSync(app);
    copyWorkspace(ws);
    verdaccio = await startVerdaccio({ storage: path.join(CACHE, 'verdaccio-storage') });
    registry = await startRegistryServer({
      users: [{ username: USER, token: TOKEN }],
      seed: [{ name: 'vanessa', owners: [USER], containers: [{ name: 'tacos', tag: 'latest', file: TACOS }] }],
    });
    home = makeTempHome('sregistry-e2e-home-');
    const base = withoutNpm({
      ...home.env,
      npm_config_cache: path.join(CACHE, 'npm'),
      SREGISTRY_NPM_REGISTRY: verdaccio.url,
      SREGISTRY_REGISTRY_BASE: registry.url,
      SREGISTRY_REGISTRY_USERNAME: USER,
      SREGISTRY_REGISTRY_TOKEN: TOKEN,
    });
    sregistry = async (args, env = {}) => {
      const started = Date.now();
      const r = await runCli(bin, args, { env: { ...base, ...env }, cwd: home.home, timeoutMs: 300_000 });
      return { ...r, ms: Date.now() - started };
    };
  });

  after(async () => {
    if (timings.length) process.stderr.write(`# e2e-plugins timings: ${timings.join('; ')}\n`);
    await folder?.close();
    await registry?.close();
    await verdaccio?.close();
    home?.cleanup();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('changesets version the workspace copy: one minor release each, no peer-forced major', async () => {
    const install = await run(PNPM, ['install', '--frozen-lockfile', '--prefer-offline', '--ignore-scripts', '--reporter=append-only'], {
      cwd: ws,
    });
    assertOk(install, 'pnpm install in the copy');
    const version = await run(PNPM, ['exec', 'changeset', 'version'], { cwd: ws });
    assertOk(version, 'changeset version');
    versions = {};
    for (const pkg of PACKAGES) {
      const before = readJson(path.join(ROOT, 'packages', pkg, 'package.json')).version as string;
      const after = readJson(path.join(ws, 'packages', pkg, 'package.json')).version as string;
      versions[pkg] = after;
      const [bMajor, bMinor] = before.split('.').map(Number);
      const [aMajor, aMinor] = after.split('.').map(Number);
      // on 0.x a peer dependency's minor would push dependents to 1.0.0 unless ranges and config allow it
      assert.equal(aMajor, bMajor, `${pkg} ${before} → ${after} keeps its major`);
      assert.ok(aMinor >= bMinor, `${pkg} ${before} → ${after} does not go back`);
      if (after !== before) assert.ok(fs.existsSync(path.join(ws, 'packages', pkg, 'CHANGELOG.md')), `${pkg} got a CHANGELOG.md`);
    }
    timings.push(`copy install ${install.ms} ms`, `changeset version ${version.ms} ms`);
  });

  test('every package publishes, workspace ranges rewritten, oclif manifests made by prepack', async () => {
    const r = await run(PNPM, ['-r', 'publish', '--registry', verdaccio.url, '--npmrc-auth-file', verdaccio.npmrcPath, '--no-git-checks'], {
      cwd: ws,
    });
    assertOk(r, 'pnpm -r publish');
    timings.push(`publish ${r.ms} ms`);
    for (const pkg of PACKAGES) {
      const meta = (await (await fetch(`${verdaccio.url}@sregistry%2f${pkg}`)).json()) as {
        versions?: Record<string, Record<string, unknown>>;
      };
      const published = meta.versions?.[versions[pkg]];
      assert.ok(published, `@sregistry/${pkg}@${versions[pkg]} is in the registry`);
      assert.doesNotMatch(JSON.stringify(published), /workspace:/, `@sregistry/${pkg} has no workspace: ranges`);
    }
    for (const pkg of ['cli', 'backend-registry', 'backend-hub', 'backend-oras', 'backend-library']) {
      assert.ok(fs.existsSync(path.join(ws, 'packages', pkg, 'oclif.manifest.json')), `prepack wrote ${pkg}/oclif.manifest.json`);
    }
  });

  test('the CLI installs from the registry into an empty folder', async () => {
    const full = process.env.SREGISTRY_E2E_NATIVE === 'build';
    const args = [
      'install',
      '@sregistry/cli',
      '--registry',
      verdaccio.url,
      '--no-audit',
      '--no-fund',
      '--no-update-notifier',
      '--prefer-offline',
      ...(full ? [] : ['--ignore-scripts']),
    ];
    const r = await run('npm', args, {
      cwd: app,
      env: { HOME: home.home, npm_config_cache: path.join(CACHE, 'npm'), npm_config_nodedir: process.env.npm_config_nodedir || '/usr' },
    });
    assertOk(r, 'npm install @sregistry/cli');
    timings.push(`npm install @sregistry/cli ${r.ms} ms${full ? ' (with native build)' : ''}`);
    if (!full) await provideNativeBinary(app, timings);
    const cli = path.join(app, 'node_modules', '@sregistry', 'cli');
    bin = path.join(cli, 'bin', 'run.js');
    assert.equal(readJson(path.join(cli, 'package.json')).version, versions.cli);
    assert.equal(readJson(path.join(app, 'node_modules', '@sregistry', 'core', 'package.json')).version, versions.core);
    assert.ok(fs.existsSync(path.join(cli, 'oclif.manifest.json')), 'the published CLI carries its oclif manifest');
    const version = await sregistry(['--version']);
    assertOk(version, 'sregistry --version');
    assert.equal(version.stdout.trim(), versions.cli);
  });

  test('plugins install @sregistry/backend-registry takes seconds and brings no second core', async () => {
    const r = await sregistry(['plugins', 'install', '@sregistry/backend-registry']);
    assertOk(r, 'plugins install');
    timings.push(`plugins install ${r.ms} ms`);
    // the progress line, held while it runs off a terminal, is written whole once it ends
    assert.match(r.stderr, /Installing plugin .*backend-registry.*@latest\.\.\. installed v\d/);
    assert.ok(r.ms < 60_000, `plugins install took ${r.ms} ms; a native build would take minutes`);
    const modules = path.join(home.env.XDG_DATA_HOME, 'sregistry', 'node_modules');
    const installed = readJson(path.join(modules, '@sregistry', 'backend-registry', 'package.json'));
    assert.equal(installed.version, versions['backend-registry']);
    assert.ok(
      fs.existsSync(path.join(modules, '@sregistry', 'backend-registry', 'oclif.manifest.json')),
      'the plugin carries its manifest',
    );
    for (const heavy of ['@sregistry/core', 'better-sqlite3', 'typeorm']) {
      assert.ok(!fs.existsSync(path.join(modules, heavy)), `${heavy} was not installed into the plugin folder`);
    }

    const list = await sregistry(['plugins']);
    assertOk(list, 'plugins');
    assert.match(list.stdout, new RegExp(`@sregistry/backend-registry ${versions['backend-registry'].replace(/\./g, '\\.')}`));

    const ls = await sregistry(['backend', 'ls']);
    assertOk(ls, 'backend ls');
    const escaped = versions['backend-registry'].replace(/\./g, '\\.');
    assert.match(
      ls.stdout,
      new RegExp(`^registry\\s+pull,push,search,delete,labels\\s+@sregistry/backend-registry@${escaped} \\(user\\)`, 'm'),
    );
    assert.match(ls.stdout, /^hub\s+pull\s+@sregistry\/backend-hub@\S+ \(core\)/m);
  });

  test('the installed plugin pulls and pushes against a Registry Server', async () => {
    const pull = await sregistry(['pull', 'registry://vanessa/tacos:latest']);
    assertOk(pull, 'pull');
    const stored = /^Success! (.+)$/m.exec(pull.stdout)?.[1];
    assert.ok(stored && fs.readFileSync(stored).equals(TACOS), 'the pulled file holds the image');
    assert.ok(!pull.stdout.includes(TOKEN) && !pull.stderr.includes(TOKEN), 'the token is never printed');

    const sif = path.join(home.home, 'upload.sif');
    await sampleSif(sif);
    const push = await sregistry(['push', sif, '--name', 'registry://dinosaur/pushed:v1']);
    assertOk(push, 'push');
    const pushed = registry.containers().find((c) => c.collection === 'dinosaur' && c.name === 'pushed' && c.tag === 'v1');
    assert.ok(pushed, 'the server has the pushed image');
    assert.equal(pushed.size, fs.statSync(sif).size);
    timings.push(`pull ${pull.ms} ms`, `push ${push.ms} ms`);
  });

  test('plugins install @sregistry/backend-oras: login, push and pull against a real OCI registry', async (t) => {
    const available = distributionAvailable();
    if (!available.ok) return t.skip(available.reason);
    const oci = await startDistribution({ auth: 'htpasswd', users: { [USER]: TOKEN } });
    try {
      const r = await sregistry(['plugins', 'install', '@sregistry/backend-oras']);
      assertOk(r, 'plugins install @sregistry/backend-oras');
      timings.push(`plugins install oras ${r.ms} ms`);
      const modules = path.join(home.env.XDG_DATA_HOME, 'sregistry', 'node_modules');
      assert.equal(readJson(path.join(modules, '@sregistry', 'backend-oras', 'package.json')).version, versions['backend-oras']);
      for (const heavy of ['@sregistry/core', 'better-sqlite3', 'typeorm']) {
        assert.ok(!fs.existsSync(path.join(modules, heavy)), `${heavy} was not installed into the plugin folder`);
      }
      const ls = await sregistry(['backend', 'ls']);
      assert.match(ls.stdout, /^oras\s+pull,push,search,delete\s+@sregistry\/backend-oras@\S+ \(user\)/m);

      const env = { SREGISTRY_ORAS_NOHTTPS: 'true' };
      const login = await runCli(bin, ['oras', 'login', oci.host, '--username', USER, '--password-stdin'], {
        env: withoutNpm({ ...home.env, ...env }),
        cwd: home.home,
        input: TOKEN,
      });
      assertOk(login, 'oras login (a plugin command on the host)');
      const sif = path.join(home.home, 'oras.sif');
      await sampleSif(sif);
      const push = await sregistry(['push', sif, '--name', `oras://${oci.host}/team/oras:v1`], env);
      assertOk(push, 'push oras://');
      assert.match(push.stdout, /Pushed sha256:[0-9a-f]{64}/);
      const pull = await sregistry(['pull', `oras://${oci.host}/team/oras:v1`], env);
      assertOk(pull, 'pull oras://');
      const stored = /^Success! (.+)$/m.exec(pull.stdout)?.[1];
      assert.ok(stored && fs.readFileSync(stored).equals(fs.readFileSync(sif)), 'the pulled file is the pushed one');
      assert.ok(!(pull.stdout + pull.stderr + push.stdout + push.stderr).includes(TOKEN), 'the password is never printed');
    } finally {
      await oci.close();
    }
  });

  test('plugins install @sregistry/backend-library: login, push and pull against the testkit Library server', async () => {
    const library = await startLibraryServer({ tokens: [{ token: TOKEN, owner: USER }], entities: [{ name: USER }] });
    try {
      const r = await sregistry(['plugins', 'install', '@sregistry/backend-library']);
      assertOk(r, 'plugins install @sregistry/backend-library');
      timings.push(`plugins install library ${r.ms} ms`);
      const modules = path.join(home.env.XDG_DATA_HOME, 'sregistry', 'node_modules');
      assert.equal(readJson(path.join(modules, '@sregistry', 'backend-library', 'package.json')).version, versions['backend-library']);
      for (const heavy of ['@sregistry/core', 'better-sqlite3', 'typeorm']) {
        assert.ok(!fs.existsSync(path.join(modules, heavy)), `${heavy} was not installed into the plugin folder`);
      }
      const ls = await sregistry(['backend', 'ls']);
      assert.match(ls.stdout, /^library\s+pull,push,search,delete\s+@sregistry\/backend-library@\S+ \(user\)/m);
      const login = await runCli(bin, ['library', 'login', '--base', library.url], {
        env: withoutNpm(home.env),
        cwd: home.home,
        input: `${TOKEN}\n`,
      });
      assertOk(login, 'library login (a plugin command on the host)');
      const sif = path.join(home.home, 'library.sif');
      await sampleSif(sif);
      const push = await sregistry(['push', sif, '--name', `library://${USER}/team/tool:v1`], { SREGISTRY_LIBRARY_ARCH: 'amd64' });
      assertOk(push, 'push library://');
      assert.match(push.stdout, /Pushed library:\/\/dinosaur\/team\/tool:v1 \(sha256\.[0-9a-f]{64}\)/);
      const pull = await sregistry(['pull', '--arch', 'amd64', `library://${USER}/team/tool:v1`]);
      assertOk(pull, 'pull library://');
      const stored = /^Success! (.+)$/m.exec(pull.stdout)?.[1];
      assert.ok(stored && fs.readFileSync(stored).equals(fs.readFileSync(sif)), 'the pulled file is the pushed one');
      assert.ok(!(pull.stdout + pull.stderr + push.stdout + push.stderr + login.stdout).includes(TOKEN), 'the token is never printed');
      assert.deepEqual(library.objectAuthRejections, [], 'the object host never got the token');
    } finally {
      await library.stop();
    }
  });

  test('plugins uninstall removes it, and using it then says how to install it', async () => {
    const r = await sregistry(['plugins', 'uninstall', '@sregistry/backend-registry']);
    assertOk(r, 'plugins uninstall');
    assert.ok(!fs.existsSync(path.join(home.env.XDG_DATA_HOME, 'sregistry', 'node_modules', '@sregistry', 'backend-registry')));
    const pull = await sregistry(['pull', 'x/y'], { SREGISTRY_CLIENT: 'registry' });
    assert.equal(pull.code, 1, pull.stdout + pull.stderr);
    assert.match(pull.stderr, /run: sregistry plugins install @sregistry\/backend-registry, with SREGISTRY_NPM_REGISTRY=<url>/);
  });

  test('a third-party backend (the folder example) links and pulls with the host core', async () => {
    // a copy outside the checkout: no node_modules above it, so it can only use the CLI's core
    const plugin = path.join(work, 'backend-folder');
    fs.cpSync(FIXTURE, plugin, { recursive: true });
    const images = path.join(work, 'web');
    const image = Buffer.from('an image on a plain web server\n');
    fs.mkdirSync(path.join(images, 'library', 'tacos'), { recursive: true });
    fs.writeFileSync(path.join(images, 'library', 'tacos', 'latest.sif'), image);
    fs.writeFileSync(path.join(images, 'library', 'tacos', 'latest.sif.sha256'), createHash('sha256').update(image).digest('hex'));
    folder = await serveFolder(images);

    const link = await sregistry(['plugins', 'link', plugin, '--no-install']);
    assertOk(link, 'plugins link');
    timings.push(`plugins link ${link.ms} ms`);
    const ls = await sregistry(['backend', 'ls']);
    assert.match(ls.stdout, /^folder\s+pull\s+sregistry-backend-folder@0\.1\.0 \(link\)/m);

    const env = { SREGISTRY_FOLDER_BASE: folder.url };
    const base = await sregistry(['folder', 'base'], env);
    assertOk(base, 'folder base (a plugin command on the host core)');
    assert.equal(base.stdout.trim(), folder.url);
    const pull = await sregistry(['pull', 'folder://tacos:latest'], env);
    assertOk(pull, 'pull folder://tacos:latest');
    const stored = /^Success! (.+)$/m.exec(pull.stdout)?.[1];
    assert.ok(stored && fs.readFileSync(stored).equals(image));
    const catalogue = await sregistry(['images']);
    assert.match(catalogue.stdout, /\[folder\]\tlibrary\/tacos:latest@/);
    assert.ok(!fs.existsSync(path.join(plugin, 'node_modules')), 'linking installed nothing into the plugin');
  });
});
