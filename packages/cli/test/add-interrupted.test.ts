// Ctrl-C during `add`: the command is alive to handle it, so it gives the add up itself (no row, no file in
// storage, no temp copy, no intent) instead of leaving it for the next command to roll forward, and says so.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sampleSif } from '@sregistry/testkit';
import { invariantProblems, readRows, type Sandbox, sandbox, signalAtPoint } from './reliability-helpers';

let sb: Sandbox;
before(async () => {
  sb = sandbox();
  await sampleSif(path.join(sb.home, 'big.sif'));
});
after(() => sb.cleanup());

/** Every file below the storage folder but the temp sweep's time stamp. */
function leftovers(): string[] {
  if (!fs.existsSync(sb.storage)) return [];
  return (fs.readdirSync(sb.storage, { recursive: true }) as string[])
    .map((p) => String(p))
    .filter((p) => !fs.statSync(path.join(sb.storage, p)).isDirectory() && p !== path.join('.tmp', 'last-sweep'));
}

for (const json of [false, true]) {
  test(`Ctrl-C while add --copy copies the file in${json ? ' (--json)' : ''}: exit 130, one line, nothing left, nothing finished later`, async () => {
    const args = ['add', 'big.sif', '--copy', '--name', `cancel/big:${json ? 'json' : 'text'}`, ...(json ? ['--json'] : [])];
    const r = await signalAtPoint(sb, args, 'place-copy-in-progress', 'SIGINT');
    assert.ok(r.reached, `the add ended before the copy (exit ${r.code}): ${r.stderr}`);
    assert.equal(r.code, 130, r.stderr);
    if (json) assert.equal(JSON.parse(r.stdout).error.code, 'ECANCELLED');
    else assert.match(r.stderr, /^ERROR copy into storage cancelled$/m);
    assert.deepEqual(leftovers(), [], 'no temp copy, no intent, no image file');
    // the next command's recovery has nothing to finish
    const images = await sb.run(['images']);
    assert.equal(images.code, 0, images.stderr);
    assert.deepEqual(readRows(sb.dbFile), []);
    assert.deepEqual(leftovers(), []);
    assert.deepEqual(invariantProblems(sb), []);
    assert.ok(fs.existsSync(path.join(sb.home, 'big.sif')), 'the source stays');
  });
}
