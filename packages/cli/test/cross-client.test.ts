// Cross-client: a home exactly as the Python sregistry-cli 0.2.39 leaves it (its database in its own DDL and
// rollback journal, its storage tree, its credential-cache folder, its secrets file), and every command of ours run
// on it in turn. After each one the original must still be able to use every file: the schema and journal mode
// unchanged, rows in its formats, no file beside the database or in the home that it would not make, the secrets
// file still its JSON with its own keys, and each row's image where the row says.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type OriginalHome, openRawDatabase, type RegistryServerHandle, startRegistryServer, writeOriginalHome } from '@sregistry/testkit';
import { linkedPluginData, type Sandbox, sandbox, TOKEN, USER } from './reliability-helpers';

const TACOS = Buffer.from('tacos image bytes\n');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let server: RegistryServerHandle;
let plugins: { dir: string; cleanup(): void };
let sb: Sandbox;
let original: OriginalHome;
/** inputs for add/push live outside the home, so the home holds only what the clients made */
let inputs: string;
let schema: string[];
/** files whose record `rm` removed while keeping the file (a deliberate difference, kept on purpose) */
const keptByRm = new Set<string>();

before(async () => {
  server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    seed: [
      { name: 'vanessa', owners: [USER], containers: [{ name: 'tacos', tag: 'latest', file: TACOS }] },
      { name: 'my-coll', owners: [USER], containers: [{ name: 'hello', tag: 'v1', file: Buffer.from('hello v1\n') }] },
      { name: 'tagtest', owners: [USER] },
    ],
    labels: [{ key: 'Author', value: 'Vanessa', containers: ['vanessa/tacos:latest'] }],
  });
  plugins = await linkedPluginData();
  sb = sandbox({ pluginData: plugins.dir });
  original = await writeOriginalHome(sb.home, {
    images: [
      { collection: 'vsoch', name: 'hello-world', tag: 'v1', content: 'hello image\n' },
      { collection: 'library', name: 'ubuntu', tag: '18.04', content: 'ubuntu image\n' },
      {
        collection: 'vanessa',
        name: 'old',
        tag: 'latest',
        content: 'old pull\n',
        client: 'registry',
        url: `${server.url}/containers/9/download/x`,
      },
    ],
    secrets: {
      hub: { base: 'https://singularity-hub.org/api' },
      SREGISTRY_CLIENT: 'registry',
      registry: { token: TOKEN, username: USER, base: server.url },
    },
  });
  schema = sqliteMaster();
  inputs = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-cross-inputs-'));
});
after(async () => {
  sb?.cleanup();
  plugins?.cleanup();
  if (inputs) fs.rmSync(inputs, { recursive: true, force: true });
  await server?.close();
});

function withDb<T>(work: (db: ReturnType<typeof openRawDatabase>) => T): T {
  const db = openRawDatabase(original.databaseFile, { readonly: true });
  try {
    return work(db);
  } finally {
    db.close();
  }
}

function sqliteMaster(): string[] {
  return withDb((db) =>
    db
      .prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name')
      .all()
      .map((r) => `${r.type}|${r.name}|${r.sql}`),
  );
}

interface Row {
  id: number;
  collection: string;
  token: string;
  name: string;
  tag: string;
  version: string | null;
  uri: string | null;
  image: string | null;
  metrics: string;
  created_at: string;
  client: string;
}

function rows(): Row[] {
  return withDb(
    (db) =>
      db
        .prepare(
          'SELECT c.*, col.name AS collection, col.token AS token FROM container c JOIN collection col ON col.id = c.collection_id ORDER BY c.id',
        )
        .all() as unknown as Row[],
  );
}

function filesBelow(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.lstatSync(path.join(dir, f)).isFile())
    .map((f) => path.join(dir, f));
}

/** What the original needs of its files, checked after every command. */
function assertOriginalStillWorks(label: string): void {
  const where = `after ${label}`;
  withDb((db) => {
    assert.equal(db.pragma('journal_mode', { simple: true }), 'delete', `${where}: still SQLite's rollback journal`);
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', `${where}: integrity`);
    assert.deepEqual(db.prepare('PRAGMA foreign_key_check').all(), [], `${where}: every row has its collection`);
  });
  assert.deepEqual(sqliteMaster(), schema, `${where}: the schema is the original's, unaltered`);
  assert.deepEqual(
    fs.readdirSync(original.databaseDir).sort(),
    ['.sregistry', 'shub', 'sregistry.db'],
    `${where}: nothing beside the database the original would not make`,
  );
  assert.deepEqual(
    fs
      .readdirSync(sb.home)
      .filter((f) => !['.cache', '.config', '.local', '.npm'].includes(f)) // the XDG folders
      .sort(),
    ['.singularity', '.sregistry'],
    `${where}: nothing new in the home folder`,
  );
  for (const row of rows()) {
    const what = `${where}: ${row.uri}`;
    assert.match(row.created_at, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, `${what}: created_at as the original writes it`);
    assert.equal(typeof JSON.parse(row.metrics), 'object', `${what}: metrics is JSON`);
    assert.equal(row.uri, `${row.collection}/${row.name}:${row.tag}${row.version ? `@${row.version}` : ''}`, `${what}: uri`);
    assert.match(row.token, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, `${what}: collection token`);
    assert.ok(row.image && fs.existsSync(row.image), `${what}: its file is where the row says`);
    assert.ok(
      path.relative(original.storageDir, row.image).startsWith(`${row.collection}${path.sep}${row.name}${path.sep}`),
      `${what}: layout`,
    );
  }
  const referenced = new Set(rows().map((r) => r.image));
  const stray = filesBelow(original.storageDir).filter(
    (f) => !referenced.has(f) && !keptByRm.has(f) && !path.relative(original.storageDir, f).startsWith('.tmp'),
  );
  assert.deepEqual(stray, [], `${where}: every stored image has its row`);
  const secrets = JSON.parse(fs.readFileSync(original.secretsFile, 'utf8')) as Record<string, unknown>;
  assert.ok(fs.lstatSync(original.secretsFile).isFile(), `${where}: the secrets file is a plain file`);
  for (const [key, value] of Object.entries(secrets)) {
    if (key === 'SREGISTRY_CLIENT') assert.equal(typeof value, 'string', `${where}: SREGISTRY_CLIENT`);
    else assert.ok(value && typeof value === 'object' && !Array.isArray(value), `${where}: section ${key} is an object`);
  }
  const registry = secrets.registry as Record<string, string>;
  assert.deepEqual(
    { token: registry.token, username: registry.username, base: registry.base },
    { token: TOKEN, username: USER, base: server.url },
    `${where}: the original's own keys are untouched`,
  );
}

async function ok(args: string[], expect?: RegExp): Promise<string> {
  const r = await sb.run(args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  if (expect) assert.match(r.stdout, expect, args.join(' '));
  assertOriginalStillWorks(args.join(' '));
  return r.stdout;
}

async function fails(args: string[], expect: RegExp): Promise<void> {
  const r = await sb.run(args);
  assert.equal(r.code, 1, `${args.join(' ')} should fail: ${r.stdout}${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0]!, expect);
  assertOriginalStillWorks(args.join(' '));
}

test('the fixture is the original home: its DDL, its rollback journal, its layout', () => {
  assertOriginalStillWorks('nothing');
  assert.equal(rows().length, 3);
  assert.equal(fs.readFileSync(original.secretsFile, 'utf8').endsWith('}'), true, 'no trailing newline, as json.dump writes it');
});

test("the original's secrets file (0644, with a token) is warned about once per command, with the chmod fix", async () => {
  const r = await sb.run(['backend', 'status']);
  assert.equal(r.code, 0, r.stderr);
  const warnings = r.stderr.split('\n').filter((line) => line.startsWith('WARNING'));
  assert.deepEqual(warnings, [
    `WARNING the secrets file ${original.secretsFile} holds a token and can be read by other users (mode 644); run: chmod 600 ${original.secretsFile}`,
  ]);
  assert.doesNotMatch(r.stderr, new RegExp(TOKEN), 'never the token itself');
  // the user follows the fix (the rest of these tests run as after it); the original reads a 0600 file alike
  fs.chmodSync(original.secretsFile, 0o600);
  assert.doesNotMatch((await sb.run(['backend', 'status'])).stderr, /WARNING/);
});

test('local commands: images, get, inspect, add, rename, mv, rm, rmi', async () => {
  const [hello, ubuntu] = original.images;
  await ok(['images'], new RegExp(`vsoch/hello-world:v1@${hello!.version}`));
  await ok(['images', 'ubuntu'], /library\/ubuntu:18\.04@/);
  assert.equal((await ok(['get', 'vsoch/hello-world:v1'])).trim(), hello!.path);
  await ok(['inspect', 'library/ubuntu:18.04'], /"collection": "library"/);

  const copied = path.join(inputs, 'copied.sif');
  fs.writeFileSync(copied, 'copied image\n');
  await ok(['add', copied, '--name', 'vsoch/copied:v1', '--copy'], /\[container\]\[new\] vsoch\/copied:v1@/);
  const moved = path.join(inputs, 'moved.sif');
  fs.writeFileSync(moved, 'moved image\n');
  await ok(['add', moved, '--name', 'vsoch/moved'], /\[container\]\[new\] vsoch\/moved:latest@/);
  await ok(['add', copied, '--name', 'vsoch/copied:v1', '--copy'], /\[container\]\[update\]/);

  await ok(['rename', 'library/ubuntu:18.04', 'library/ubuntu:bionic'], /\[rename\]/);
  const target = path.join(original.storageDir, 'vsoch', 'moved', 'elsewhere.sif');
  await ok(['mv', 'vsoch/moved', target], /\[move\]/);

  const kept = rows().find((r) => r.name === 'copied')!.image!;
  keptByRm.add(kept);
  await ok(['rm', 'vsoch/copied:v1']);
  assert.ok(fs.existsSync(kept), 'rm keeps the file (a deliberate difference from the original)');
  await ok(['rmi', `library/ubuntu:bionic@${ubuntu!.version}`]);
  assert.ok(!rows().some((r) => r.name === 'ubuntu'));
});

test('remote commands against the registry: pull, push, search, labels, delete', async () => {
  await ok(['pull', 'vanessa/tacos:latest'], new RegExp(`\\[container\\]\\[new\\] vanessa/tacos:latest@${sha256(TACOS)}`));
  const normalised = await ok(['pull', 'My_Coll/Hello:V1']);
  assert.match(normalised, /the registry stores the collection "my_coll" as "my-coll"/);
  assert.match(normalised, /\[container\]\[new\] my-coll\/hello:v1@/);
  await fails(['pull', `vanessa/tacos:latest@${'d'.repeat(32)}`], new RegExp(`at version ${md5(TACOS)}, not d{32}`));
  await ok(['pull', `vanessa/tacos:latest@${md5(TACOS)}`, '--force'], /\[container\]\[update\] vanessa\/tacos:latest@/);

  const image = path.join(inputs, 'push.sif');
  fs.writeFileSync(image, 'pushed image\n');
  const pushed = await ok(['push', image, '--name', 'Bob_Coll/tacos:v1']);
  assert.match(pushed, /\[push\] bob-coll\/tacos:v1 Upload Complete/);
  assert.match(pushed, /provisional/);

  await ok(['search'], /Collections/);
  assert.equal(
    (await ok(['search', 'tagtest']))
      .split('\n')
      .filter((l) => l.startsWith('COLLECTION'))
      .join(),
    'COLLECTION tagtest',
  );
  await fails(['search', 'nosuch/'], /No collections found; /);
  await ok(['search', 'vanessa/tacos:latest'], /vanessa\/tacos\tlatest/);
  await ok(['labels', '-k', 'Author'], /Author:Vanessa/);

  await fails(['delete', `bob-coll/tacos:v1@${'e'.repeat(32)}`, '--force'], /not e{32}/);
  await ok(['delete', 'Bob_Coll/tacos:v1', '--force'], /\[delete\] bob-coll\/tacos:v1/);
});

test('backend commands keep the secrets file the original reads', async () => {
  await ok(['backend', 'status']);
  await ok(['backend', 'ls']);
  await ok(['backend', 'deactivate']);
  await ok(['backend', 'activate', 'registry']);
  // the original stores any variable; ours asks for --force for one the backend does not declare
  await ok(['backend', 'add', 'registry', 'note', 'cross-client', '--force']);
  await ok(['backend', 'remove', 'registry', 'note']);
  const secrets = JSON.parse(fs.readFileSync(original.secretsFile, 'utf8'));
  assert.equal(secrets.SREGISTRY_CLIENT, 'registry');
  assert.deepEqual(secrets.hub, { base: 'https://singularity-hub.org/api' }, "another backend's section is kept as it was");
});
