import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { openCatalog } from '../src/catalog/index';
import { DATABASE_KINDS, testDatabase } from './catalog-databases';
import { exists, RawDatabase, tempDir } from './catalog-helpers';

const WORKERS = 4;
const ADDS = 15;
const SHARED = 5;
/** own images each worker removes again (see the worker: every fifth that it did not rename) */
const REMOVED = Array.from({ length: ADDS }, (_, i) => i).filter((i) => i % 3 !== 1 && i % 5 === 2).length;
const RENAMED = Array.from({ length: ADDS }, (_, i) => i).filter((i) => i % 3 === 1).length;

for (const kind of DATABASE_KINDS) {
  test(`[${kind}] four processes (nodes with homes of their own) adding into one new database at once all succeed and leave consistent rows`, async (t) => {
    const dir = await tempDir(t);
    const db = await testDatabase(t, kind, path.join(dir, 'db'));
    if (!db) return;
    // nobody has created it yet: the schema race (SQLite) or the migration race (PostgreSQL) is part of the test
    const { databaseFile, databaseUrl } = db.location;
    const storage = path.join(dir, 'shub');
    const script = path.join(dir, 'adder.ts');
    await fs.writeFile(
      script,
      `import fs from 'node:fs';
import path from 'node:path';
import { openCatalog } from ${JSON.stringify(path.resolve(__dirname, '../src/catalog/index'))};
import { parseImageName } from ${JSON.stringify(path.resolve(__dirname, '../src/uri/parse'))};
(async () => {
  const [databaseFile, storageDir, work, worker, databaseUrl] = process.argv.slice(2);
  const catalog = await openCatalog({ databaseFile, storageDir, databaseUrl: databaseUrl || undefined });
  for (let i = 0; i < ${ADDS}; i++) {
    // every worker adds the same ${SHARED} images (same content: updates) and images of its own (inserts)
    const shared = path.join(work, 'shared-' + worker + '-' + i + '.sif');
    fs.writeFileSync(shared, 'shared content ' + (i % ${SHARED}) + '\\n');
    await catalog.add({ file: shared, name: parseImageName('conc/shared' + (i % ${SHARED})), client: 'client' + worker });
    const own = path.join(work, 'own-' + worker + '-' + i + '.sif');
    fs.writeFileSync(own, 'own ' + worker + ' ' + i + '\\n');
    const { record } = await catalog.add({ file: own, name: parseImageName('w' + worker + '/img' + i), client: 'client' + worker, copy: true });
    // renames and removals run alongside the other workers' adds
    if (i % 3 === 1) await catalog.rename(record, parseImageName('w' + worker + '/renamed' + i));
    else if (i % 5 === 2) await catalog.remove(record, { deleteFile: true });
  }
  await catalog.close();
})().catch((error) => { console.error(error); process.exit(1); });
`,
    );
    const repoRoot = path.resolve(__dirname, '../../..');
    const runs = Array.from({ length: WORKERS }, (_, worker) => {
      const home = path.join(dir, `home-${worker}`);
      const child = spawn(process.execPath, ['--import', 'tsx', script, databaseFile, storage, dir, String(worker), databaseUrl ?? ''], {
        cwd: repoRoot,
        env: { ...process.env, HOME: home, TSX_TSCONFIG_PATH: path.join(repoRoot, 'tsconfig.base.json') },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      return new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
    });
    const started = Date.now();
    const results = await Promise.all(runs);
    t.diagnostic(`workers took ${Date.now() - started} ms`);
    for (const [i, r] of results.entries()) assert.equal(r.code, 0, `worker ${i} failed:\n${r.stderr}`);

    const catalog = await openCatalog({ ...db.location, storageDir: storage });
    const rows = await catalog.list();
    await catalog.close();
    assert.equal(rows.length, SHARED + WORKERS * (ADDS - REMOVED), 'one row per shared image, one per own image not removed');
    const shared = rows.filter((r) => r.collection === 'conc');
    assert.deepEqual(
      shared.map((r) => r.name).sort(),
      Array.from({ length: SHARED }, (_, i) => `shared${i}`),
    );
    for (const row of rows) assert.ok(row.image && (await exists(row.image)), `${row.uri} has its file`);
    for (let w = 0; w < WORKERS; w++) {
      const own = rows.filter((r) => r.collection === `w${w}`);
      assert.equal(own.length, ADDS - REMOVED);
      assert.equal(own.filter((r) => r.name.startsWith('renamed')).length, RENAMED, 'renames kept');
    }

    const duplicates = 'SELECT name, COUNT(*) AS n FROM collection GROUP BY name HAVING COUNT(*) > 1';
    const count = 'SELECT COUNT(*) AS n FROM collection';
    let collections: unknown[];
    let total: unknown;
    if (kind === 'postgres') {
      collections = await db.query(duplicates);
      total = Number((await db.query(count))[0]?.n);
    } else {
      const raw = new RawDatabase(databaseFile);
      collections = raw.prepare(duplicates).all();
      total = raw.prepare(count).get()?.n;
      raw.close();
    }
    assert.deepEqual(collections, [], 'no collection was created twice');
    assert.equal(total, WORKERS + 1);
    const stored = (await fs.readdir(storage, { recursive: true, withFileTypes: true })).filter(
      (e) => e.isFile() && !e.name.startsWith('.') && !path.join(e.parentPath, e.name).includes(`${path.sep}.tmp`),
    );
    assert.equal(stored.length, rows.length, 'one stored file per row: two nodes adding the same image keep one copy');
  });
}
