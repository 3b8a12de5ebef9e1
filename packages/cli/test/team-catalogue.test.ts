// The team catalogue through the CLI: two login nodes (homes of their own) sharing one PostgreSQL database and
// one storage folder, adding at once and seeing the same images; images, get and inspect on it; the server
// stopped mid-run and a wrong password as one line, exit 1, no password in any output (--debug included).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { postgresAvailable, sampleSif, startPostgres } from '@sregistry/testkit';
import { cliInTempHome } from './helpers';

test('two login nodes share one team catalogue: concurrent adds, the same images, get and inspect; failures in one line', async (t) => {
  const available = postgresAvailable();
  if (!available.ok) return t.skip(`no PostgreSQL: ${available.reason}`);
  const server = await startPostgres();
  t.after(() => server.stop());
  const url = await server.createDatabase();
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-team-storage-'));
  t.after(() => fs.rmSync(storage, { recursive: true, force: true }));
  const env = { SREGISTRY_DATABASE: url, SREGISTRY_STORAGE: storage };
  const nodes = [cliInTempHome(env), cliInTempHome(env)];
  t.after(() => {
    for (const node of nodes) node.cleanup();
  });
  for (const [n, node] of nodes.entries()) {
    for (let i = 0; i < 3; i++) await sampleSif(path.join(node.home, `img${i}.sif`), { deffile: `Bootstrap: docker\nFrom: img${i}\n` });
    await sampleSif(path.join(node.home, 'own.sif'), { deffile: `Bootstrap: docker\nFrom: node${n}\n` });
  }
  // both nodes add the same three images (same content, same names) and one of their own, at the same time
  const runs = nodes.flatMap((node, n) => [
    ...[0, 1, 2].map((i) => node.run(['add', `img${i}.sif`, '--name', `team/img${i}:v1`])),
    node.run(['add', 'own.sif', '--name', `node${n}/own:v1`]),
  ]);
  for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.stdout + r.stderr);

  const listings = await Promise.all(nodes.map((node) => node.run(['images'])));
  for (const r of listings) assert.equal(r.code, 0, r.stderr);
  assert.equal(listings[0]?.stdout, listings[1]?.stdout, 'every node sees the same catalogue');
  const uris = [...(listings[0]?.stdout ?? '').matchAll(/\t(\S+)@/g)].map((m) => m[1]).sort();
  assert.deepEqual(uris, ['node0/own:v1', 'node1/own:v1', 'team/img0:v1', 'team/img1:v1', 'team/img2:v1']);
  const files = fs
    .readdirSync(storage, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.parentPath.includes('.tmp'));
  assert.equal(files.length, 5, 'one copy of each image');

  const got = await nodes[1]!.run(['get', 'node0/own:v1']);
  assert.equal(got.code, 0, got.stderr);
  assert.ok(fs.existsSync(got.stdout.trim()), `get prints the shared file: ${got.stdout}`);
  const inspected = await nodes[1]!.run(['inspect', 'team/img1:v1']);
  assert.equal(inspected.code, 0, inspected.stderr);
  assert.equal((JSON.parse(inspected.stdout.slice(inspected.stdout.indexOf('{'))) as { collection: string }).collection, 'team');

  const wrong = url.replace(`:${server.password}@`, ':Wrong-Password-77@');
  const refused = await nodes[0]!.run(['images', '--debug'], { env: { SREGISTRY_DATABASE: wrong } });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /ERROR the catalogue database postgresql:\/\/\S+ refused the login/);
  assert.ok(!`${refused.stdout}${refused.stderr}`.includes('Wrong-Password-77'), 'no password with --debug');

  await server.stopServer();
  await sampleSif(path.join(nodes[0]!.home, 'late.sif'));
  for (const args of [['images'], ['add', 'late.sif', '--name', 'team/late:v1'], ['get', 'team/img0:v1']]) {
    const r = await nodes[0]!.run(args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('ERROR'));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0] ?? '', /cannot be reached/);
    assert.ok(!`${r.stdout}${r.stderr}`.includes(server.password), 'no password');
  }
  assert.ok(fs.existsSync(path.join(nodes[0]!.home, 'late.sif')), 'the image to add stays where it was');
  assert.equal(
    fs.readdirSync(storage, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && !e.parentPath.includes('.tmp')).length,
    5,
    'nothing written to storage',
  );
});
