// Bad names, URIs, files and command arguments through the CLI. Each must exit non-zero with exactly one
// `ERROR <problem>; <fix>` line, no stack trace, and change nothing (rows, storage, secrets: byte for byte).
// NUL cannot be tested here: argv and the environment are C strings, so the OS cannot carry a NUL into the
// CLI (node's spawn refuses it before exec); the secrets-file suite sends one through JSON instead.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type RegistryServerHandle, sampleSif, startRegistryServer } from '@sregistry/testkit';
import { type BadCase, linkedPluginData, refusedCleanly, type Sandbox, sandbox, TOKEN, USER } from './reliability-helpers';

let server: RegistryServerHandle;
let plugins: { dir: string; cleanup(): void };
let sb: Sandbox;
let good: string;
const lines: string[] = [];

before(async () => {
  server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    seed: [{ name: 'vanessa', owners: [USER], containers: [{ name: 'tacos', tag: 'latest', file: Buffer.from('tacos\n') }] }],
  });
  plugins = await linkedPluginData();
  sb = sandbox({ pluginData: plugins.dir, env: { SREGISTRY_REGISTRY_BASE: server.url } });
  fs.writeFileSync(sb.secretsFile, JSON.stringify({ registry: { username: USER, token: TOKEN } }), { mode: 0o600 });
  good = path.join(sb.home, 'good.sif');
  await sampleSif(good);
  const bytes = fs.readFileSync(good);
  fs.writeFileSync(path.join(sb.home, 'header-only.sif'), bytes.subarray(0, 200));
  fs.writeFileSync(path.join(sb.home, 'short.sif'), bytes.subarray(0, bytes.length - 1000));
  fs.mkdirSync(path.join(sb.home, 'folder'));
  fs.writeFileSync(path.join(sb.home, 'empty.sif'), '');
  fs.writeFileSync(path.join(sb.home, 'plain-file'), 'not a folder\n');
  for (const name of ['good/one:v1', 'good/copy:v1']) {
    const r = await sb.run(['add', good, '--name', name, '--copy']);
    assert.equal(r.code, 0, r.stderr);
  }
});
after(async () => {
  console.log(`# bad input (names, files, commands): ${lines.length} cases refused cleanly`);
  for (const l of lines) console.log(`#   ${l.slice(0, 220)}`);
  sb.cleanup();
  plugins.cleanup();
  await server.close();
});

const NAME = /use collection\/name\[:tag\]\[@version\]/;
const NOT_INSTALLED = /The backend "(foo|nope)" is not installed; install a plugin .*sregistry plugins install/;

// relative paths: the CLI runs in the sandbox's home
const cases: BadCase[] = [
  { label: 'spaces in a name', args: ['get', 'a b/c d'], expect: /white space/ },
  { label: '.. in a name', args: ['get', '../../etc/passwd'], expect: /not allowed/ },
  { label: 'an absolute path as a name', args: ['get', '/etc/passwd'], expect: /absolute paths are not image names/ },
  { label: '.. as the collection of --name', args: ['add', 'good.sif', '--name', '../evil:v1', '--copy'], expect: NAME },
  {
    label: '.. as the image of --name',
    args: ['add', 'good.sif', '--name', 'coll/..:v1', '--copy'],
    expect: /the image "\.\." is not allowed/,
  },
  { label: '.. in the tag', args: ['add', 'good.sif', '--name', 'coll/name:../../x', '--copy'], expect: NAME },
  {
    label: '.. in the version',
    args: ['add', 'good.sif', '--name', 'a/b:v1@../../x', '--copy'],
    expect: /the version "\.\.\/\.\.\/x" is not allowed/,
  },
  { label: 'a / in the tag', args: ['add', 'good.sif', '--name', 'a/b:tag/with/slash', '--copy'], expect: NAME },
  { label: 'an empty version', args: ['add', 'good.sif', '--name', 'a/b:v1@', '--copy'], expect: NAME },
  { label: 'a newline in a name', args: ['add', 'good.sif', '--name', 'a/b\nc:v1', '--copy'], expect: /control character/ },
  { label: 'a tab in a name', args: ['get', 'a/b\tc'], expect: /control character/ },
  {
    label: 'an image name of 251 characters',
    args: ['add', 'good.sif', '--name', `a/${'x'.repeat(251)}:v1`, '--copy'],
    expect: /longer than 250 characters/,
  },
  { label: 'a collection of 151 characters', args: ['get', `${'c'.repeat(151)}/x`], expect: /longer than 150 characters/ },
  {
    label: 'a tag too long for a file name',
    args: ['add', 'good.sif', '--name', `a/b:${'t'.repeat(240)}`, '--copy'],
    expect: /longer than 215 bytes; use a shorter tag/,
  },
  {
    label: 'a version too long for a file name',
    args: ['add', 'good.sif', '--name', `a/b:1@${'v'.repeat(249)}`, '--copy'],
    expect: /^ERROR Cannot store "a\/b:1@v{34}…": the file name "1@v{38}…" would be longer than 215 bytes; use a shorter version/,
  },
  {
    label: 'an image name of 200 two-byte characters (400 bytes, too long for a folder)',
    args: ['add', 'good.sif', '--name', `a/${'ü'.repeat(200)}:1`, '--copy'],
    expect: /the folder name "[^"]{40}…" would be longer than 255 bytes; use a shorter collection or image name/,
  },
  {
    label: 'a version of 300 characters',
    args: ['add', 'good.sif', '--name', `a/b:v1@${'v'.repeat(300)}`, '--copy'],
    expect: /longer than 250/,
  },
  {
    label: 'an empty --name',
    args: ['add', 'good.sif', '--name', '', '--copy'],
    exit: 2,
    expect: /^ERROR --name is empty; give the image a name/,
  },
  { label: 'an empty uri for get', args: ['get', ''], exit: 2, expect: /the name is empty/ },
  { label: 'an empty label key', args: ['labels', '-k', ''], exit: 2, expect: /--key is empty; give a label key, or leave --key out/ },
  { label: 'an empty uri for pull', args: ['pull', ''], exit: 2, expect: /the name is empty/ },
  { label: 'an empty --name for pull', args: ['pull', '--name', '', 'a/b'], exit: 2, expect: /^ERROR --name is empty/ },
  {
    label: 'an empty --tag for push',
    args: ['push', 'good.sif', '--name', 'vanessa/tacos', '--tag', ''],
    exit: 2,
    expect: /^ERROR the tag given with --tag is empty/,
  },
  { label: 'an unknown scheme for pull', args: ['pull', 'foo://a/b'], expect: NOT_INSTALLED },
  { label: 'an unknown scheme for search', args: ['search', 'foo://x'], expect: NOT_INSTALLED },
  { label: 'an unknown scheme for push', args: ['push', 'good.sif', '--name', 'foo://a/b'], expect: NOT_INSTALLED },
  { label: 'an unknown scheme for delete', args: ['delete', 'foo://a/b', '--force'], expect: NOT_INSTALLED },
  { label: 'an unknown backend in SREGISTRY_CLIENT', args: ['pull', 'a/b'], env: { SREGISTRY_CLIENT: 'nope' }, expect: NOT_INSTALLED },
  {
    label: 'a registry host in --name of add',
    args: ['add', 'good.sif', '--name', 'registry.example.org/a/b', '--copy'],
    expect: /names a registry/,
  },
  { label: 'add of a missing file', args: ['add', 'missing.sif', '--name', 'a/b'], expect: /Cannot find missing\.sif; check the path/ },
  { label: 'add of a folder', args: ['add', 'folder', '--name', 'a/b'], expect: /folder is a folder, not an image file/ },
  {
    label: 'add of an empty file',
    args: ['add', 'empty.sif', '--name', 'a/b', '--copy'],
    expect: /empty\.sif is empty \(0 bytes\); give the path of a built image/,
  },
  {
    label: 'push of an empty file',
    args: ['push', 'empty.sif', '--name', 'registry://dinosaur/x'],
    expect: /empty\.sif is empty \(0 bytes\)/,
  },
  {
    label: 'add of a SIF cut after its header',
    args: ['add', 'header-only.sif', '--name', 'a/b'],
    expect: /not a valid SIF file: .*truncated/,
  },
  {
    label: 'add of a SIF missing its last 1000 bytes',
    args: ['add', 'short.sif', '--name', 'a/b', '--copy'],
    expect: /not a valid SIF file: .*truncated/,
  },
  {
    label: 'push of a missing file',
    args: ['push', 'missing.sif', '--name', 'registry://dinosaur/x'],
    expect: /missing\.sif does not exist/,
  },
  {
    label: 'mv to a missing folder',
    args: ['mv', 'good/one:v1', '/nonexistent/dir/x.sif'],
    expect: /\/nonexistent\/dir does not exist.*mkdir -p/,
  },
  { label: 'mv below a file', args: ['mv', 'good/one:v1', 'plain-file/x.sif'], expect: /plain-file is a file, not a folder/ },
  {
    label: 'mv to a folder (trailing /) that does not exist',
    args: ['mv', 'good/one:v1', 'folder/sub/'],
    expect: /folder\/sub does not exist\. Ensure exists first; mkdir -p .*folder\/sub/,
  },
  {
    label: 'rename to another version',
    args: ['rename', 'good/one:v1', 'good/other:v1@other'],
    expect: /rename keeps the version: .*not other; leave @other out/,
  },
  {
    label: 'mv onto its own path',
    args: ['mv', 'good/one:v1', path.join('.singularity', 'shub', 'good', 'one')],
    expect: /is already the name/,
  },
  { label: 'rename onto an existing name', args: ['rename', 'good/one:v1', 'good/copy:v1'], expect: /already exists; remove it first/ },
  { label: 'rmi of a missing record', args: ['rmi', 'no/such:thing'], expect: /not found in database; list what is there/ },
  { label: 'rm of a missing record', args: ['rm', 'no/such:thing'], expect: /not found in database/ },
  { label: 'inspect of a missing record', args: ['inspect', 'no/such:thing'], expect: /not found in database/ },
  { label: 'rename of a missing record', args: ['rename', 'no/such:thing', 'a/b'], expect: /not found in database/ },
  { label: 'pull of an image the registry does not have', args: ['pull', 'registry://vanessa/nothing:latest'], expect: /vanessa\/nothing/ },
  {
    label: 'pull --name onto an existing file',
    args: ['pull', 'registry://vanessa/tacos:latest', '--name', 'plain-file'],
    expect: /Image exists! .*--force/,
  },
  { label: 'an unknown flag', args: ['images', '--bogus'], exit: 2, expect: /unknown flag --bogus \(see --help\)/ },
  {
    label: 'add without --name',
    args: ['add', 'good.sif'],
    exit: 2,
    expect: /missing flag --name; usage: sregistry add FILE --name <value>/,
  },
  { label: 'a flag without its value', args: ['pull', 'a/b', '--name'], exit: 2, expect: /Flag --name expects a value/ },
  {
    label: 'backend add without its arguments',
    args: ['backend', 'add', 'registry'],
    exit: 2,
    expect: /missing arguments VARIABLE, VALUE; usage: sregistry backend add BACKEND VARIABLE VALUE/,
  },
  { label: 'backend ls of an unconfigured backend', args: ['backend', 'ls', 'nope'], expect: /nope is not a known client/ },
];

for (const c of cases) {
  test(c.label, async () => {
    lines.push(`${c.label}: ${await refusedCleanly(sb, c)}`);
  });
}

test('with --debug the same refusal shows its stack; with --json the error is one JSON document', async () => {
  const debug = await sb.run(['add', 'header-only.sif', '--name', 'a/b', '--debug']);
  assert.equal(debug.code, 1);
  assert.match(debug.stderr, /^ERROR .*not a valid SIF file/m);
  assert.match(debug.stderr, /\n(DEBUG )?\s+at .+:\d+:\d+/, 'the stack is there for whoever asked');
  const json = await sb.run(['images', '--json', '--bogus'], { env: { SREGISTRY_REGISTRY_TOKEN: TOKEN } });
  assert.equal(json.code, 2);
  assert.deepEqual(JSON.parse(json.stdout), { error: { message: 'unknown flag --bogus', fix: 'see --help', code: 'EUSAGE', exitCode: 2 } });
});

test('NUL cannot reach the CLI through argv or the environment (the OS strings end there)', () => {
  assert.throws(() => spawnSync(process.execPath, ['-e', '0', 'a/b\0c']), /null bytes/);
  assert.throws(() => spawnSync(process.execPath, ['-e', '0'], { env: { X: 'a\0b' } }), /null bytes/);
});

test('non-SIF content is accepted with one warning, as the original did, and inspect still shows the record', async () => {
  const text = path.join(sb.home, 'notes.txt');
  fs.writeFileSync(text, 'just text\n');
  const add = await sb.run(['add', text, '--name', 'text/notes:v1', '--copy']);
  assert.equal(add.code, 0, add.stderr);
  assert.equal(add.stderr.trim(), `WARNING ${text} is not a SIF, squashfs or ext3 image; adding it anyway`);
  const inspect = await sb.run(['inspect', 'text/notes:v1', '--json']);
  assert.equal(inspect.code, 0, inspect.stderr);
  const json = JSON.parse(inspect.stdout);
  assert.equal(json.collection, 'text');
  assert.match(JSON.stringify(json.sif), /unknown|not a SIF|error/i, 'the image section says what the file is not');
});
