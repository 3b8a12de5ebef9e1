// docs/writing-a-backend.md is complete for someone with only the npm packages: the files it shows (marked
// `<!-- file: <path> -->`) are extracted into a folder of their own, with nothing of this repository but
// @sregistry/core and @sregistry/testkit in its node_modules, and the doc's own commands are run there: `node --test`
// (the conformance suite through node:test) and the plain-script report. The files are also the example plugin
// the end-to-end plugin test links (fixtures/backend-folder), so the doc and the tested package cannot drift.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DOC = path.join(ROOT, 'docs', 'writing-a-backend.md');
const FIXTURE = path.join(ROOT, 'packages', 'testkit', 'fixtures', 'backend-folder');

/** The marked code blocks of the doc: path → content. */
function docFiles(): Map<string, string> {
  const text = fs.readFileSync(DOC, 'utf8');
  const files = new Map<string, string>();
  for (const m of text.matchAll(/^<!-- file: (\S+) -->\n```\w*\n([\s\S]*?)\n```$/gm)) {
    assert.ok(!files.has(m[1] as string), `${m[1]} is shown once`);
    files.set(m[1] as string, `${m[2]}\n`);
  }
  return files;
}

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backend-doc-'));
  for (const [rel, content] of docFiles()) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  // what `npm install --save-dev @sregistry/testkit @sregistry/core` gives, from this checkout's built packages
  fs.mkdirSync(path.join(dir, 'node_modules', '@sregistry'), { recursive: true });
  for (const name of ['core', 'testkit'])
    fs.symlinkSync(path.join(ROOT, 'packages', name), path.join(dir, 'node_modules', '@sregistry', name));
});
after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    // NODE_TEST_CONTEXT would make a child `node --test` report to this runner instead of printing TAP
    const env = { ...process.env, NODE_TEST_CONTEXT: undefined, NODE_OPTIONS: undefined };
    execFile(process.execPath, args, { cwd: dir, env, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

test('the doc shows the whole plugin and both tests, and the plugin is the tested example package', () => {
  const files = docFiles();
  assert.deepEqual([...files.keys()].sort(), [
    'backend.js',
    'commands/folder/base.js',
    'conformance-report.js',
    'host.js',
    'package.json',
    'test/conformance.test.js',
  ]);
  for (const rel of ['backend.js', 'host.js', 'commands/folder/base.js']) {
    assert.equal(files.get(rel), fs.readFileSync(path.join(FIXTURE, rel), 'utf8'), `${rel} in the doc is fixtures/backend-folder/${rel}`);
  }
  assert.deepEqual(
    JSON.parse(files.get('package.json') as string),
    JSON.parse(fs.readFileSync(path.join(FIXTURE, 'package.json'), 'utf8')),
  );
});

test('`node --test` in the doc’s folder runs the conformance suite, and every check passes', { timeout: 200_000 }, async () => {
  const r = await run(['--test', '--test-reporter=tap']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^# pass 6$/m, 'the six checks ran and passed');
  assert.match(r.stdout, /^# fail 0$/m);
  assert.match(r.stdout, /backend conformance: folder/);
});

test('the doc’s plain-script runner reports every check as passed', { timeout: 200_000 }, async () => {
  const r = await run(['conformance-report.js']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 6, r.stdout);
  for (const line of lines) assert.match(line, /^ok - /);
});

test('control: the report script fails when the backend breaks a rule', { timeout: 200_000 }, async () => {
  // a backend whose missing images are not UserErrors: the check of missing images must fail, and the script too
  const backend = path.join(dir, 'backend.js');
  const original = fs.readFileSync(backend, 'utf8');
  try {
    fs.writeFileSync(
      backend,
      original.replace(/throw new host\.UserError\(`\$\{name\.collection\}/, 'throw new Error(`${name.collection}'),
    );
    assert.notEqual(fs.readFileSync(backend, 'utf8'), original, 'the break applied');
    const r = await run(['conformance-report.js']);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /^not ok - a missing image fails with one line/m);
  } finally {
    fs.writeFileSync(backend, original);
  }
});
