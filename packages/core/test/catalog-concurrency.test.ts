import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { openCatalog } from '../src/catalog/index';
import { exists, RawDatabase, tempDir } from './catalog-helpers';

const WORKERS = 4;
const ADDS = 15;
const SHARED = 5;

test('four processes adding into one new database at once all succeed and leave consistent rows', async (t) => {
  const dir = await tempDir(t);
  const databaseFile = path.join(dir, 'db', 'sregistry.db'); // nobody has created it yet: the schema race is part of the test
  const storage = path.join(dir, 'shub');
  const script = path.join(dir, 'adder.ts');
  await fs.writeFile(
    script,
    `import fs from 'node:fs';
import path from 'node:path';
import { openCatalog } from ${JSON.stringify(path.resolve(__dirname, '../src/catalog/index'))};
import { parseImageName } from ${JSON.stringify(path.resolve(__dirname, '../src/uri/parse'))};
(async () => {
  const [databaseFile, storageDir, work, worker] = process.argv.slice(2);
  const catalog = await openCatalog({ databaseFile, storageDir });
  for (let i = 0; i < ${ADDS}; i++) {
    // every worker adds the same ${SHARED} images (same content: updates) and images of its own (inserts)
    const shared = path.join(work, 'shared-' + worker + '-' + i + '.sif');
    fs.writeFileSync(shared, 'shared content ' + (i % ${SHARED}) + '\\n');
    await catalog.add({ file: shared, name: parseImageName('conc/shared' + (i % ${SHARED})), client: 'client' + worker });
    const own = path.join(work, 'own-' + worker + '-' + i + '.sif');
    fs.writeFileSync(own, 'own ' + worker + ' ' + i + '\\n');
    await catalog.add({ file: own, name: parseImageName('w' + worker + '/img' + i), client: 'client' + worker, copy: true });
  }
  await catalog.close();
})().catch((error) => { console.error(error); process.exit(1); });
`,
  );
  const repoRoot = path.resolve(__dirname, '../../..');
  const runs = Array.from({ length: WORKERS }, (_, worker) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, databaseFile, storage, dir, String(worker)], {
      cwd: repoRoot,
      env: { ...process.env, TSX_TSCONFIG_PATH: path.join(repoRoot, 'tsconfig.base.json') },
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

  const catalog = await openCatalog({ databaseFile, storageDir: storage });
  const rows = await catalog.list();
  await catalog.close();
  assert.equal(rows.length, SHARED + WORKERS * ADDS, 'one row per shared image, one per own image');
  const shared = rows.filter((r) => r.collection === 'conc');
  assert.deepEqual(
    shared.map((r) => r.name).sort(),
    Array.from({ length: SHARED }, (_, i) => `shared${i}`),
  );
  for (const row of rows) assert.ok(row.image && (await exists(row.image)), `${row.uri} has its file`);
  for (let w = 0; w < WORKERS; w++) assert.equal(rows.filter((r) => r.collection === `w${w}`).length, ADDS);

  const raw = new RawDatabase(databaseFile);
  const collections = raw.prepare('SELECT name, COUNT(*) AS n FROM collection GROUP BY name HAVING n > 1').all();
  const total = raw.prepare('SELECT COUNT(*) AS n FROM collection').get();
  raw.close();
  assert.deepEqual(collections, [], 'no collection was created twice');
  assert.equal(total?.n, WORKERS + 1);
});
