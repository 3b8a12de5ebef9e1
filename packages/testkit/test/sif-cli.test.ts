// `sregistry-testkit sif FILE`: the image README's "Trying the CLI by hand" serves and pulls.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { readSif } from '@sregistry/core';

const ROOT = resolve(__dirname, '../../..');
const MAIN = resolve(__dirname, '../src/cli/main.ts');

function testkit(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', MAIN, ...args],
      { cwd: ROOT, env: { ...process.env, TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.base.json') } },
      (error, stdout, stderr) => ok({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('sif FILE writes a valid SIF, and leaves an existing file alone', async () => {
  const work = await mkdtemp(join(tmpdir(), 'testkit-sif-'));
  try {
    const file = join(work, 'my.sif');
    const made = await testkit(['sif', file]);
    assert.deepEqual(made, { code: 0, stdout: `wrote ${file}\n`, stderr: '' });
    const sif = await readSif(file);
    assert.ok(sif.primaryPartition && sif.deffile, 'a partition and a definition file');
    const other = join(work, 'other.sif');
    await writeFile(other, 'keep me');
    const again = await testkit(['sif', other]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `sregistry-testkit: ${other} exists already; remove it or name another file\n`);
    assert.equal(await readFile(other, 'utf8'), 'keep me');
    assert.equal((await testkit(['sif'])).code, 2);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
