// Ctrl-C during a `rename` or `mv` across file systems (a copy, then the unlink of the source): before the copy is in
// place the command gives it up and says so, also when Ctrl-C is pressed again while it cleans up; once the copy
// is in place it finishes the change and reports it. Never a silent exit, a temp copy or an intent left behind.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sampleSif } from '@sregistry/testkit';
import { invariantProblems, readRows, type Sandbox, sandbox, signalAtPoint } from './reliability-helpers';

// another file system than the sandbox's (tmpfs here); without one the copy path is not taken
const OTHER_FS = '/dev/shm';
let sb: Sandbox;
let outside: string;
const crossFs = fs.existsSync(OTHER_FS) && fs.statSync(OTHER_FS).dev !== fs.statSync(require('node:os').tmpdir()).dev;

before(async () => {
  sb = sandbox();
  if (crossFs) outside = fs.mkdtempSync(path.join(OTHER_FS, 'sregistry-rename-'));
});
after(() => {
  sb.cleanup();
  if (outside) fs.rmSync(outside, { recursive: true, force: true });
});

/** Every file below the storage folder but the temp sweep's time stamp. */
function leftovers(): string[] {
  if (!fs.existsSync(sb.storage)) return [];
  return (fs.readdirSync(sb.storage, { recursive: true }) as string[])
    .map((p) => String(p))
    .filter((p) => !fs.statSync(path.join(sb.storage, p)).isDirectory() && p !== path.join('.tmp', 'last-sweep'));
}

/** `name` catalogued with its file on the other file system. */
async function imageOutside(name: string): Promise<string> {
  const source = path.join(sb.home, 'image.sif');
  await sampleSif(source);
  assert.equal((await sb.run(['add', source, '--name', name])).code, 0);
  const file = path.join(outside, `${name.replace(/\W/g, '-')}.sif`);
  const mv = await sb.run(['mv', name, file]);
  assert.equal(mv.code, 0, mv.stderr);
  return file;
}

for (const json of [false, true]) {
  test(`Ctrl-C (pressed 3 times) while rename's copy is synced: exit 130, one ${json ? 'document' : 'line'}, nothing changed`, {
    skip: !crossFs && `${OTHER_FS} is not another file system`,
  }, async () => {
    const name = `cancel/sync-${json ? 'json' : 'text'}:v1`;
    const file = await imageOutside(name);
    const rows = readRows(sb.dbFile);
    const before = leftovers();
    const args = ['rename', name, `cancel/renamed-${json ? 'json' : 'text'}:v1`, ...(json ? ['--json'] : [])];
    const r = await signalAtPoint(sb, args, 'place-copy-sync-in-progress', 'SIGINT', { repeat: 2 });
    assert.ok(r.reached, `the rename ended before the sync (exit ${r.code}): ${r.stderr}`);
    assert.equal(r.signal, null, 'the command ended its own way, not by the signal');
    assert.equal(r.code, 130, r.stderr);
    if (json) {
      assert.equal(JSON.parse(r.stdout).error.code, 'ECANCELLED');
      assert.equal(r.stderr, '');
    } else {
      assert.equal(r.stderr, 'ERROR copy into storage cancelled\n');
    }
    assert.deepEqual(leftovers(), before, 'no temp copy, no note, no intent');
    // the next command has nothing to roll forward
    assert.equal((await sb.run(['images'])).code, 0);
    assert.deepEqual(readRows(sb.dbFile), rows);
    assert.ok(fs.existsSync(file), 'the source stays');
    assert.deepEqual(invariantProblems(sb), []);
  });
}

test('Ctrl-C once the copy is in place: the rename is finished and reported', {
  skip: !crossFs && `${OTHER_FS} is not another file system`,
}, async () => {
  const file = await imageOutside('late/cancel:v1');
  const r = await signalAtPoint(sb, ['rename', 'late/cancel:v1', 'late/done:v1', '--json'], 'place-copy-placed-held', 'SIGINT', {
    repeat: 2,
  });
  assert.ok(r.reached, r.stderr);
  assert.equal(r.code, 0, r.stderr);
  assert.match(JSON.parse(r.stdout).uri, /^late\/done:v1@/);
  assert.ok(!fs.existsSync(file), 'the source is gone: the file was moved');
  assert.deepEqual(
    leftovers().filter((p) => p.includes('.tmp')),
    [],
  );
  const row = readRows(sb.dbFile).find((x) => x.collection === 'late');
  assert.equal(row?.name, 'done');
  assert.ok(row?.image && fs.existsSync(row.image));
  assert.deepEqual(invariantProblems(sb), []);
});

test('Ctrl-C during mv out of storage names the destination', { skip: !crossFs && `${OTHER_FS} is not another file system` }, async () => {
  const source = path.join(sb.home, 'out.sif');
  await sampleSif(source);
  assert.equal((await sb.run(['add', source, '--name', 'out/cancel:v1'])).code, 0);
  const r = await signalAtPoint(sb, ['mv', 'out/cancel:v1', `${outside}/`], 'place-copy-in-progress', 'SIGINT');
  assert.ok(r.reached, r.stderr);
  assert.equal(r.code, 130, r.stderr);
  assert.equal(r.stderr, `ERROR copy to ${outside} cancelled\n`);
  assert.deepEqual(
    fs.readdirSync(outside).filter((n) => n.includes('out')),
    [],
  );
  assert.deepEqual(invariantProblems(sb), []);
});
