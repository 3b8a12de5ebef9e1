// @sregistry/core from a plain Node script, the way a pipeline or notebook would use it: the built package, the
// registry backend module registered by hand, a pull and a listing against a fake Registry Server, and oclif
// never loaded. A control run loads the command API on purpose, to show the check sees oclif when it is there.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { cleanEnv } from '../../testkit/src/cli-runner';
import { type RegistryServerHandle, startRegistryServer } from '../../testkit/src/index';

const ROOT = path.resolve(__dirname, '..', '..');
const CORE = path.join(ROOT, 'core', 'dist', 'index.js');
const COMMAND_API = path.join(ROOT, 'core', 'dist', 'command', 'index.js');
const REGISTRY_BACKEND = path.join(ROOT, 'backend-registry', 'dist', 'backend.js');
const IMAGE = Buffer.from('plain script image bytes\n');

// The script a user would write; plain CommonJS, no TypeScript, no test helpers. Its session is the default one
// (stdout and stderr of the process, MESSAGELEVEL from the environment), so anything a library call printed would
// show in the process's output; the script's findings go to a file instead. PRINT_PULL asks for the CLI's lines.
const SCRIPT = `
const fs = require('node:fs');
const core = require(${JSON.stringify(CORE)});
const backends = new core.BackendRegistry().register('registry', require(${JSON.stringify(REGISTRY_BACKEND)}));
const session = new core.Session({ backends });
(async () => {
  const events = [];
  const printer = process.env.PRINT_PULL ? core.pullPrinter(session.out) : undefined;
  const onEvent = (event) => {
    events.push(event.type);
    printer?.(event);
  };
  const pulled = await core.pullImage(session, { uri: 'registry://vanessa/tacos:latest', onEvent });
  const listed = (await core.listImages(session)).map((r) => ({ uri: r.uri, client: r.client, image: r.image }));
  const images = (await (await session.catalog()).list()).map((r) => ({ uri: r.uri, client: r.client, image: r.image }));
  await session.close();
  if (process.env.LOAD_COMMAND_API) require(${JSON.stringify(COMMAND_API)});
  const oclif = Object.keys(require.cache).filter((file) => /[\\/]@oclif[\\/]core[\\/]/.test(file));
  const defaultLevel = session.out.level;
  fs.writeFileSync(process.env.RESULT_FILE, JSON.stringify({ pulled, listed, images, oclif, defaultLevel, events }));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

let server: RegistryServerHandle;
let dir: string;

before(async () => {
  for (const file of [CORE, COMMAND_API, REGISTRY_BACKEND])
    assert.ok(fs.existsSync(file), `${file} is missing: build first (npm run build)`);
  server = await startRegistryServer({ seed: [{ name: 'vanessa', containers: [{ name: 'tacos', tag: 'latest', file: IMAGE }] }] });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'core-no-oclif-'));
  fs.writeFileSync(path.join(dir, 'script.js'), SCRIPT);
});
after(async () => {
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs the script in its own HOME, asynchronously (the fake registry answers from this process). */
function runScript(extra: Record<string, string> = {}) {
  const home = fs.mkdtempSync(path.join(dir, 'home-'));
  const resultFile = path.join(home, 'result.json');
  const env = cleanEnv({ HOME: home, SREGISTRY_REGISTRY_BASE: server.url, RESULT_FILE: resultFile, ...extra });
  return new Promise<{ home: string; code: number; stdout: string; stderr: string; found: any }>((resolve) => {
    execFile(process.execPath, [path.join(dir, 'script.js')], { env, cwd: home, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({
        home,
        code: error ? 1 : 0,
        stdout: String(stdout),
        stderr: String(stderr),
        found: fs.existsSync(resultFile) ? JSON.parse(fs.readFileSync(resultFile, 'utf8')) : undefined,
      }),
    );
  });
}

test('a plain script pulls and lists through @sregistry/core without printing anything or loading oclif', async () => {
  // VERBOSE: the session would print info and verbose lines, so silence is the operations' own
  const r = await runScript({ MESSAGELEVEL: 'VERBOSE' });
  assert.equal(r.code, 0, r.stderr);
  const { pulled, listed, images, oclif, defaultLevel, events } = r.found;
  const sha256 = createHash('sha256').update(IMAGE).digest('hex');
  assert.equal(pulled.sha256, sha256);
  assert.equal(pulled.path, path.join(r.home, '.singularity', 'shub', 'vanessa', 'tacos', `latest@${sha256}.sif`));
  assert.ok(fs.readFileSync(pulled.path).equals(IMAGE), 'the stored file holds the image');
  assert.deepEqual(images, [{ uri: `vanessa/tacos:latest@${sha256}`, client: 'registry', image: pulled.path }]);
  assert.deepEqual(listed, images, 'listImages returns the records');
  assert.equal(r.stdout, '', 'nothing printed on stdout');
  assert.equal(r.stderr, '', 'nothing printed on stderr');
  assert.equal(events[0], 'announce', 'the steps went to the callback instead');
  assert.ok(events.includes('progress'), 'progress reported');
  assert.equal(events.at(-1), 'done');
  assert.equal(defaultLevel, 2, 'new Session() takes MESSAGELEVEL from the environment, as the CLI does');
  assert.deepEqual(oclif, [], 'no @oclif/core module was loaded');
});

test('control: with pullPrinter the same pull prints what sregistry pull prints', async () => {
  const r = await runScript({ PRINT_PULL: '1' });
  assert.equal(r.code, 0, r.stderr);
  const { pulled } = r.found;
  const database = `sqlite:///${path.join(r.home, '.singularity', 'sregistry.db')}`;
  assert.equal(r.stdout, `[client|registry] [database|${database}]\n[container][new] ${pulled.uri}\nSuccess! ${pulled.path}\n`);
});

test('control: the check sees oclif once the command API is loaded', async () => {
  const r = await runScript({ LOAD_COMMAND_API: '1' });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.found.oclif.length > 0, 'loading @sregistry/core/command loads @oclif/core');
});
