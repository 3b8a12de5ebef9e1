import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const dist = path.resolve(__dirname, '..', 'dist');

// The built core opens the catalogue through dist/catalog/bundle.js, one file, and a SQLite catalogue never loads
// TypeORM (~300 modules; its own bundle, dist/catalog/typeorm-bundle.js, is for PostgreSQL): that is what keeps
// commands that write a row (pull, add, rmi) quick to start.
test('the built core loads the catalogue from its bundle, and a SQLite catalogue writes rows without TypeORM', async () => {
  assert.ok(fs.existsSync(path.join(dist, 'catalog', 'bundle.js')), 'the build produces the bundle');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sreg-bundle-'));
  const script = `
    const core = require(${JSON.stringify(path.join(dist, 'index.js'))});
    core.openCatalog({ databaseFile: ${JSON.stringify(path.join(home, 'db', 'sregistry.db'))}, storageDir: ${JSON.stringify(path.join(home, 'shub'))} })
      .then(async (catalog) => {
        const file = require('node:path').join(${JSON.stringify(home)}, 'image.sif');
        require('node:fs').writeFileSync(file, 'an image');
        await catalog.add({ file, name: core.parseImageName('c/n:t'), client: 'registry' });
        const rows = await catalog.list();
        await catalog.close();
        const loaded = Object.keys(require.cache);
        console.log(JSON.stringify({
          rows: rows.length,
          bundle: loaded.some((f) => f.endsWith(${JSON.stringify(path.join('catalog', 'bundle.js'))})),
          typeormModules: loaded.filter((f) => f.includes(${JSON.stringify(`${path.sep}typeorm${path.sep}`)})).length,
          typeormBundle: loaded.some((f) => f.endsWith(${JSON.stringify(path.join('catalog', 'typeorm-bundle.js'))})),
        }));
      });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script]);
  const result = JSON.parse(stdout);
  assert.deepEqual(result, { rows: 1, bundle: true, typeormModules: 0, typeormBundle: false });
  assert.ok(fs.existsSync(path.join(dist, 'catalog', 'typeorm-bundle.js')), "PostgreSQL's TypeORM is bundled too");
  fs.rmSync(home, { recursive: true, force: true });
});
