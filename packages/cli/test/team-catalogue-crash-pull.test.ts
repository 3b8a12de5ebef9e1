// Crash safety of `pull` on the team catalogue: login node A is SIGKILLed in the middle of a registry pull (during
// the download, and at each step of cataloguing it) into one PostgreSQL database and one shared storage folder;
// node B, with a home of its own, then pulls the same image. After each kill the image is catalogued once, its
// row has its file, and no file in the shared storage is without its row.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type RegistryServerHandle, startRegistryServer } from '../../testkit/src/index';
import { type PostgresHandle, postgresAvailable, startPostgres } from '../../testkit/src/postgres/index';
import { isTempFile, killAtPoint, linkedPluginData, type Sandbox, sandbox, TOKEN, USER, walk } from './reliability-helpers';

const SIZE = 3 * 1024 * 1024;
const POINTS: { point: string; bytes?: number }[] = [
  { point: 'download-bytes', bytes: 64 * 1024 },
  { point: 'pull-before-catalog' },
  { point: 'add-intent-written' },
  { point: 'place-after-rename' },
  { point: 'db-before-commit' },
  { point: 'add-before-intent-end' },
];

const available = postgresAvailable();
let pg: PostgresHandle;
let database: string;
let registry: RegistryServerHandle;
let plugins: { dir: string; cleanup(): void };
let storage: string;
let nodes: Sandbox[] = [];

before(async () => {
  if (!available.ok) return;
  pg = await startPostgres();
  const url = await pg.createDatabase();
  database = new URL(url).pathname.slice(1);
  registry = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    seed: [{ name: 'team', owners: [USER], containers: POINTS.map((_, i) => ({ name: 'big', tag: `t${i}`, file: SIZE })) }],
  });
  plugins = await linkedPluginData();
  storage = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-team-crash-'));
  const env = { SREGISTRY_CLIENT: 'registry', SREGISTRY_REGISTRY_BASE: registry.url, SREGISTRY_DATABASE: url, SREGISTRY_STORAGE: storage };
  nodes = [sandbox({ pluginData: plugins.dir, env }), sandbox({ pluginData: plugins.dir, env })];
});
after(async () => {
  for (const node of nodes) node.cleanup();
  if (storage) fs.rmSync(storage, { recursive: true, force: true });
  plugins?.cleanup();
  await registry?.close();
  await pg?.stop();
});

/** The team catalogue's rows, read with psql as a site's own tools would. */
async function rows(): Promise<{ tag: string; image: string }[]> {
  const out = await pg.sql('SELECT c.tag, c.image FROM container c ORDER BY c.id', database);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [tag = '', image = ''] = line.split('|');
      return { tag, image };
    });
}

test('a node killed mid-pull into the team catalogue: the next node to pull that image keeps one row with its file', async (t) => {
  if (!available.ok) return t.skip(`no PostgreSQL: ${available.reason}`);
  const [a, b] = nodes as [Sandbox, Sandbox];
  for (const [i, { point, bytes }] of POINTS.entries()) {
    const killed = await killAtPoint(a, ['pull', `team/big:t${i}`], point, { bytes, timeoutMs: 60_000 });
    assert.ok(killed.paused, `${point}: node A reached the point (${killed.code}: ${killed.stderr})`);
    const again = await b.run(['pull', `team/big:t${i}`]);
    assert.equal(again.code, 0, `${point}: node B pulls the image: ${again.stdout}${again.stderr}`);
    const mine = (await rows()).filter((r) => r.tag === `t${i}`);
    assert.equal(mine.length, 1, `${point}: one row for the image`);
    assert.equal(fs.statSync(mine[0]!.image).size, SIZE, `${point}: the row's file is the whole image`);
  }
  // the whole catalogue once every image was touched again: each row has its file, each file its row
  const all = await rows();
  assert.equal(all.length, POINTS.length, 'one row per image');
  for (const r of all) assert.ok(fs.existsSync(r.image), `row ${r.tag} has its file`);
  const owned = new Set(all.map((r) => r.image));
  const stray = walk(storage).filter((f) => !isTempFile(storage, f) && !owned.has(f) && path.basename(f) !== 'last-sweep');
  assert.deepEqual(stray, [], 'no file in the shared storage without its row');
  const listed = await a.run(['images']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.equal([...listed.stdout.matchAll(/team\/big:t\d+@/g)].length, POINTS.length, 'node A lists every image');
});
