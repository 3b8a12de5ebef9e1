import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { cleanEnv, runCli, sampleSif } from '@sregistry/testkit';
import { cliInTempHome } from './helpers';

// bin/run.js answers the plain forms of `images`, `get`, `inspect` and `backend status` without oclif (src/fast-path.ts). These
// tests hold it to two things: it prints exactly what the oclif command prints, and it is really taken (oclif
// and TypeORM stay unloaded) only when nothing needs the full path.

const cli = cliInTempHome();
const OCLIF_ONLY = path.join(__dirname, 'fixtures', 'oclif-only.js');
const RECORDER = path.join(__dirname, 'fixtures', 'record-modules.cjs');
after(() => cli.cleanup());

before(async () => {
  const sif = path.join(cli.home, 'tacos.sif');
  await sampleSif(sif);
  for (const name of ['vanessa/tacos:latest', 'vsoch/hello-world:v1', 'Library/Ubuntu:18.04']) {
    const r = await cli.run(['add', '--copy', sif, '--name', name]);
    assert.equal(r.code, 0, r.stderr);
  }
  fs.writeFileSync(path.join(cli.home, 'damaged-secrets.json'), '{"registry": ');
  fs.writeFileSync(path.join(cli.home, 'plain.txt'), 'hello image\n');
  const r = await cli.run(['add', path.join(cli.home, 'plain.txt'), '--name', 'vsoch/text']);
  assert.equal(r.code, 0, r.stderr);
});

function viaOclif(args: string[], env: Record<string, string> = {}) {
  return runCli(OCLIF_ONLY, args, { env: { ...cli.env, ...env }, cwd: cli.home });
}

/** Runs bin/run.js and says which heavy parts it loaded. */
async function traced(args: string[], env: Record<string, string> = {}) {
  const out = path.join(cli.home, `modules-${process.hrtime.bigint()}.json`);
  const result = await cli.run(args, { env: { NODE_OPTIONS: `--require ${RECORDER}`, RECORD_MODULES_TO: out, ...env } });
  const modules = JSON.parse(fs.readFileSync(out, 'utf8')) as string[];
  fs.rmSync(out);
  return {
    result,
    oclif: modules.some((m) => m.includes(`${path.sep}@oclif${path.sep}core${path.sep}`)),
    // the full catalogue (its bundle, or TypeORM's modules when sources run unbundled)
    catalogue: modules.some((m) => m.endsWith(path.join('catalog', 'bundle.js')) || m.includes(`${path.sep}typeorm${path.sep}`)),
  };
}

const SAME_AS_OCLIF: string[][] = [
  ['images'],
  ['images', '--json'],
  ['images', 'ub'],
  ['images', 'ubuntu', 'tacos', 'nomatch'],
  ['images', '--json', 'tacos', 'tacos', 'nomatch'],
  ['images', '--json', 'tacos'],
  ['images', '*', '-q'],
  ['images', 'nomatch'],
  ['get', 'vanessa/tacos'],
  ['get', '--json', 'vsoch/hello-world:v1'],
  ['get', 'vsoch/nothere'],
  ['get', 'vsoch/nothere', '--json'],
  ['inspect', 'vanessa/tacos'],
  ['inspect', 'library/ubuntu:18.04', '--json'],
  ['inspect', 'vsoch/text'],
  ['inspect', 'vsoch/nothere'],
  ['backend', 'status'],
  ['backend', 'status', '--json'],
  ['backend', 'status', '-q'],
];

for (const args of SAME_AS_OCLIF) {
  test(`${args.join(' ')}: the same output and exit code with and without oclif`, async () => {
    const [fast, full] = await Promise.all([cli.run(args), viaOclif(args)]);
    assert.deepEqual(fast, full);
  });
}

test('images --json: one list for none or one query; one {query, items} per query for several, as search --json', async () => {
  const uris = (items: { uri: string }[]) => items.map((r) => r.uri.split('@')[0]);
  const one = JSON.parse((await cli.run(['images', '--json', 'tacos'])).stdout);
  assert.deepEqual(uris(one), ['vanessa/tacos:latest']);
  const several = JSON.parse((await cli.run(['images', '--json', 'tacos', 'tacos', 'nomatch'])).stdout);
  assert.deepEqual(
    several.map((d: { query: string; items: { uri: string }[] }) => [d.query, uris(d.items)]),
    [
      ['tacos', ['vanessa/tacos:latest']],
      ['tacos', ['vanessa/tacos:latest']],
      ['nomatch', []],
    ],
  );
  // "*" lists everything, as one query of none: the plain list
  assert.equal(JSON.parse((await cli.run(['images', '--json', '*', 'tacos'])).stdout)[0].collection, 'vanessa');
});

test('backend status: the same output and exit code with and without oclif for a configured, damaged or missing secrets file', async () => {
  const configured = path.join(cli.home, 'configured-secrets.json');
  fs.writeFileSync(configured, JSON.stringify({ SREGISTRY_CLIENT: 'hub', registry: { token: 'x', username: 'u' }, hub: {} }), {
    mode: 0o600,
  });
  const damaged = path.join(cli.home, 'damaged-secrets.json');
  const cases: Record<string, string>[] = [
    { SREGISTRY_CLIENT_SECRETS: configured },
    { SREGISTRY_CLIENT_SECRETS: configured, SREGISTRY_CLIENT: 'registry' },
    { SREGISTRY_CLIENT_SECRETS: damaged },
    { SREGISTRY_CLIENT_SECRETS: path.join(cli.home, 'no-such-secrets.json') },
  ];
  for (const env of cases) {
    for (const args of [
      ['backend', 'status'],
      ['backend', 'status', '--json'],
    ]) {
      const [fast, full] = await Promise.all([cli.run(args, { env }), viaOclif(args, env)]);
      assert.deepEqual(fast, full, `${args.join(' ')} with ${JSON.stringify(env)}`);
    }
  }
  const shown = JSON.parse((await cli.run(['backend', 'status', '--json'], { env: cases[0] })).stdout);
  assert.deepEqual([shown.configured.sort(), shown.active], [['hub', 'registry'], 'hub']);
  // the file's path is shown, never its tokens
  assert.equal(shown.secretsFile, configured);
});

test('the plain forms load neither oclif nor the full catalogue', async () => {
  for (const args of [
    ['images'],
    ['images', 'tacos', '--json'],
    ['get', 'vanessa/tacos', '-q'],
    ['inspect', '--json', 'vanessa/tacos'],
    ['--json', 'images'],
    ['-q', '--json', 'get', 'vanessa/tacos'],
    ['backend', 'status'],
    ['--json', 'backend', 'status'],
  ]) {
    const { result, oclif, catalogue } = await traced(args);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual({ oclif, catalogue }, { oclif: false, catalogue: false }, args.join(' '));
  }
});

test('everything else goes through oclif: help, other flags, usage errors, a disabled catalogue, a not-found image', async () => {
  const cases: { args: string[]; env?: Record<string, string>; code: number }[] = [
    { args: ['images', '--help'], code: 0 },
    { args: ['images', '--debug'], code: 0 },
    { args: ['images', '--', '-x'], code: 0 },
    { args: ['images', '--bogus'], code: 2 },
    { args: ['get'], code: 2 },
    { args: ['get', 'a/b', 'c/d'], code: 2 },
    { args: ['images'], env: { SREGISTRY_DISABLE: 'yes' }, code: 1 },
    { args: ['get', 'vsoch/nothere'], code: 1 },
    { args: ['backend', 'status', 'extra'], code: 2 },
    { args: ['backend', 'status', '--debug'], code: 0 },
    { args: ['backend', 'status'], env: { SREGISTRY_CLIENT_SECRETS: path.join(cli.home, 'damaged-secrets.json') }, code: 1 },
  ];
  for (const { args, env, code } of cases) {
    const { result, oclif } = await traced(args, env);
    assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(oclif, true, args.join(' '));
  }
});

test('a catalogue waiting for recovery is opened in full, which finishes the interrupted work first', async () => {
  const journal = path.join(cli.home, '.singularity', 'shub', '.tmp', 'journal');
  fs.mkdirSync(journal, { recursive: true });
  // an rmi whose process died before it finished (pid above pid_max): recovery removes the record and its file
  const list = JSON.parse((await cli.run(['images', '--json', 'text'])).stdout) as { id: number; image: string }[];
  assert.equal(list.length, 1);
  // written as this version's writer writes it: the host tag says the pid is one of this machine's processes
  const coreDist = path.join(path.dirname(require.resolve('@sregistry/core/package.json')), 'dist');
  const { HOST_TAG } = require(path.join(coreDist, 'storage', 'temp-files.js')) as { HOST_TAG: string };
  const intent = {
    op: 'remove',
    id: list[0].id,
    file: list[0].image,
    pid: 2 ** 22 + 1,
    host: os.hostname(),
    hostTag: HOST_TAG,
    startedAt: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(journal, `1-${intent.pid}-0000.json`), JSON.stringify(intent));
  const { result, catalogue } = await traced(['images', 'text']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(catalogue, true, 'the full catalogue was opened');
  assert.equal(result.stdout, '', 'the interrupted rm was finished before listing');
  assert.deepEqual(fs.readdirSync(journal), []);
  assert.ok(!fs.existsSync(list[0].image));
});

test('a reader that stops early (images | head) ends the listing quietly with exit 0', async () => {
  const home = cliInTempHome();
  try {
    assert.equal((await home.run(['images'])).code, 0, 'creates the catalogue');
    const Database = createRequire(require.resolve('@sregistry/core/package.json'))('better-sqlite3');
    const db = new Database(path.join(home.home, '.singularity', 'sregistry.db'));
    db.prepare("INSERT INTO collection (name, token) VALUES ('c', 't')").run();
    const insert = db.prepare(
      "INSERT INTO container (created_at, metrics, name, tag, uri, client, version, collection_id) VALUES ('2026-01-01 00:00:00', '{}', ?, 'latest', ?, 'hub', 'v', 1)",
    );
    db.transaction(() => {
      for (let i = 0; i < 20_000; i++) insert.run(`n${i}`, `c/n${i}:latest@v`);
    })();
    db.close();
    for (const args of [['images'], ['images', '--json'], ['images', '--bogus-flag-for-oclif']]) {
      const child = spawn(process.execPath, [path.join(__dirname, '..', 'bin', 'run.js'), ...args], {
        env: cleanEnv(home.env),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.stdout.once('data', () => child.stdout.destroy());
      const [code] = (await once(child, 'close')) as [number];
      if (args[1]?.startsWith('--bogus')) {
        assert.equal(code, 2, 'a usage error is still an error');
        continue;
      }
      assert.deepEqual({ code, stderr }, { code: 0, stderr: '' }, args.join(' '));
    }
  } finally {
    home.cleanup();
  }
});

test('a SREGISTRY_DATABASE_WAL that is no yes/no word is refused by the plain reader too, without oclif', async () => {
  for (const args of [['images'], ['get', 'vanessa/tacos:latest'], ['inspect', 'vanessa/tacos'], ['images', '--json']]) {
    const { result: r, oclif, catalogue } = await traced(args, { SREGISTRY_DATABASE_WAL: 'maybe' });
    const what = args.join(' ');
    assert.equal(r.code, 1, what);
    // the refusal is final: oclif would only refuse it again
    assert.deepEqual({ oclif, catalogue }, { oclif: false, catalogue: false }, what);
    if (args.includes('--json')) assert.equal(JSON.parse(r.stdout).error.code, 'ESETTING', what);
    else {
      assert.equal(r.stdout, '', what);
      assert.match(r.stderr, /^ERROR SREGISTRY_DATABASE_WAL is "maybe", not yes or no; [^\n]*\n$/, what);
    }
  }
  const ok = await cli.run(['images'], { env: { SREGISTRY_DATABASE_WAL: 'yes' } });
  assert.equal(ok.code, 0, ok.stderr);
});
