// No package's sources import themselves in a circle (type imports included: a cycle through a type is still a
// tangle, and the declaration files tsc emits from it can turn into run-time ones). madge reads the sources the
// way TypeScript resolves them; a control folder with a known cycle shows the check sees one when it is there.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import madge from 'madge';

const PACKAGES = path.resolve(__dirname, '..', '..');

async function cyclesIn(dir: string, tsConfig?: string): Promise<string[][]> {
  const result = await madge(dir, { fileExtensions: ['ts'], tsConfig, excludeRegExp: [/node_modules/, /\.d\.ts$/] });
  return result.circular();
}

for (const pkg of ['core', 'cli', 'backend-registry', 'backend-hub', 'backend-oras', 'backend-library', 'testkit']) {
  test(`${pkg}: no import cycle in its sources`, { timeout: 120_000 }, async () => {
    const root = path.join(PACKAGES, pkg);
    const cycles = await cyclesIn(path.join(root, 'src'), path.join(root, 'tsconfig.json'));
    assert.deepEqual(
      cycles.map((c) => c.join(' > ')),
      [],
    );
  });
}

test('control: a folder with a cycle is reported', { timeout: 60_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-cycles-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b';\nexport type A = { b?: B };\n");
  fs.writeFileSync(path.join(dir, 'b.ts'), "import type { A } from './a';\nexport type B = { a?: A };\n");
  assert.deepEqual(await cyclesIn(dir), [['a.ts', 'b.ts']]);
});
