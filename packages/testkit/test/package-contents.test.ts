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
    assert.match(manifest.repository?.url ?? '', /^git\+https:\/\//);
    assert.equal(manifest.repository?.directory, `packages/${pkg}`);
    assert.match(manifest.homepage ?? '', /^https:\/\//);
    assert.match(manifest.bugs?.url ?? '', /^https:\/\//);
    assert.ok(fs.readFileSync(path.join(dir, 'README.md'), 'utf8').includes(manifest.name), 'the README names the package');
  });
}
