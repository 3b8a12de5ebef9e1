// What npm ships of each package is enough for a third party who has only npm: a README, the LICENSE, and where
// the source, the home page and the issue tracker are. Checked on `npm pack --dry-run`, the file list npm would
// publish.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const PACKAGES = path.resolve(__dirname, '..', '..');
const run = promisify(execFile);
const REPOSITORY = 'https://github.com/sregistry/sregistry';

for (const pkg of fs
  .readdirSync(PACKAGES)
  .filter((p) => fs.existsSync(path.join(PACKAGES, p, 'package.json')))
  .sort()) {
  test(`${pkg}: npm pack ships README and LICENSE, and package.json says where the project is`, { timeout: 120_000 }, async (t) => {
    const dir = path.join(PACKAGES, pkg);
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-pack-cache-'));
    t.after(() => fs.rmSync(cache, { recursive: true, force: true }));
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: dir,
      env: { ...process.env, npm_config_cache: cache },
    });
    const [packed] = JSON.parse(stdout) as { files: { path: string }[] }[];
    const files = (packed?.files ?? []).map((f) => f.path);
    assert.ok(files.includes('README.md'), `README.md is shipped (${files.length} files)`);
    assert.ok(files.includes('LICENSE'), 'LICENSE is shipped');
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    assert.equal(manifest.license, 'MIT');
    // one repository for every package: the same URL, this package's folder, its README there, one tracker
    assert.deepEqual(manifest.repository, { type: 'git', url: `git+${REPOSITORY}.git`, directory: `packages/${pkg}` });
    assert.equal(manifest.homepage, `${REPOSITORY}/tree/main/packages/${pkg}#readme`);
    assert.deepEqual(manifest.bugs, { url: `${REPOSITORY}/issues` });
    assert.ok(fs.readFileSync(path.join(dir, 'README.md'), 'utf8').includes(manifest.name), 'the README names the package');
  });
}
