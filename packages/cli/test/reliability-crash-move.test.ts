// Crash safety of `rename` and `mv` (same file system: one rename; across file systems: copy, rename, unlink):
// SIGKILL at named points (packages/core/src/testing-hooks.ts); the next command that opens the catalogue must
// leave the record and its file together, at the old place or at the new one, never split.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sampleSif } from '@sregistry/testkit';
import { type CrashReport, crash, type Layout, mountTmpfs, readRows, type Sandbox, sandbox } from './reliability-helpers';

let sb: Sandbox;
let id: number;
let version: string;
const reports: CrashReport[] = [];
const unmounts: (() => void)[] = [];

before(async () => {
  sb = sandbox();
  const file = path.join(sb.home, 'moving.sif');
  await sampleSif(file);
  const r = await sb.run(['add', file, '--name', 'crash/moving:v1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  ({ id, version } = JSON.parse(r.stdout) as { id: number; version: string });
});
after(() => {
  const problems = reports.reduce((n, r) => n + r.problems.length, 0);
  console.log(`# crash-move: ${reports.length} kills, ${problems} inconsistencies`);
  for (const r of reports) console.log(`#   ${r.label}: ${r.outcome}${r.temps ? `, ${r.temps} temp file(s) left` : ''}`);
  for (const u of unmounts) u();
  sb.cleanup();
});

async function check(c: Parameters<typeof crash>[1]): Promise<CrashReport> {
  const report = await crash(sb, c);
  reports.push(report);
  assert.deepEqual(report.problems, [], report.label);
  assert.equal(readRows(sb.dbFile).length, 1, 'still exactly one record');
  return report;
}

const at = (image: string, uri?: string) => (l: Layout) =>
  l.rows.some((r) => r.id === id && r.image === image && (uri === undefined || r.uri === uri)) && fs.existsSync(image);

test('rename killed at every step: the record and its file move together', async () => {
  const points = [
    'move-intent-written',
    'place-before-rename',
    'place-after-rename',
    'move-after-place-before-row',
    'db-before-commit',
    'move-before-intent-end',
  ];
  const names = [
    ['crash/moving:v1', 'other/renamed:v2'],
    ['other/renamed:v2', 'crash/moving:v1'],
  ];
  for (const [i, point] of points.entries()) {
    const [from, to] = names[i % 2]!;
    const [coll, rest] = to!.split('/');
    const [name, tag] = rest!.split(':');
    const dest = path.join(sb.storage, coll!, name!, `${tag}@${version}.sif`);
    const r = await check({ args: ['rename', from!, to!], point, rerun: 'if-not-done', done: at(dest, `${to}@${version}`) });
    assert.equal(r.outcome, 'completed');
  }
});

test('mv on one file system killed at every step', async () => {
  const dirs = [path.join(sb.home, 'here'), path.join(sb.home, 'there')];
  for (const d of dirs) fs.mkdirSync(d);
  const points = ['move-intent-written', 'place-after-rename', 'db-before-commit', 'move-before-intent-end'];
  for (const [i, point] of points.entries()) {
    const dir = dirs[i % 2]!;
    const dest = path.join(dir, `v1@${version}.sif`);
    await check({ args: ['mv', 'crash/moving:v1', dir], point, rerun: 'if-not-done', done: at(dest), extraDirs: dirs });
  }
});

test('mv across file systems (tmpfs) killed while copying, after the rename, before the unlink', async (t) => {
  const mount = mountTmpfs(path.join(sb.home, 'tmpfs'));
  if (!mount) return t.skip('mount -t tmpfs is not permitted here');
  unmounts.push(mount.unmount);
  // the previous test left the file in `there`
  const dirs = [path.join(sb.home, 'there'), mount.dir];
  const watched = [...dirs, path.join(sb.home, 'here')];
  const points = ['place-copy-temp-written', 'place-copy-after-rename', 'place-before-unlink', 'place-copy-temp-written'];
  for (const [i, point] of points.entries()) {
    const dir = dirs[(i + 1) % 2]!;
    const dest = path.join(dir, `v1@${version}.sif`);
    await check({ args: ['mv', 'crash/moving:v1', dir], point, rerun: 'if-not-done', done: at(dest), extraDirs: watched });
    assert.equal(fs.existsSync(path.join(dirs[i % 2]!, `v1@${version}.sif`)), false, 'the source is unlinked once the move is finished');
  }
});
