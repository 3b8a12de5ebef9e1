// Crash safety of `rmi` (row and file go together), of the intent journal's own write, and of recovery
// itself: SIGKILL at named points (packages/core/src/testing-hooks.ts), then the next command that opens the
// catalogue must leave it consistent and the change done wholly or not at all.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sampleSif } from '@sregistry/testkit';
import { type CrashReport, crash, killAtPoint, type Layout, readRows, type Sandbox, sandbox, sha256 } from './reliability-helpers';

let sb: Sandbox;
const reports: CrashReport[] = [];

async function sif(name: string): Promise<string> {
  const file = path.join(sb.home, 'src', `${name}.sif`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sampleSif(file, { deffile: `Bootstrap: docker\nFrom: ${name}\n` });
  return file;
}

before(async () => {
  sb = sandbox();
  for (let i = 0; i < 5; i++) {
    const r = await sb.run(['add', await sif(`rm-${i}`), '--name', `crash/rm-${i}:v1`]);
    assert.equal(r.code, 0, r.stderr);
  }
});
after(() => {
  const problems = reports.reduce((n, r) => n + r.problems.length, 0);
  console.log(`# crash-remove: ${reports.length} kills, ${problems} inconsistencies`);
  for (const r of reports) console.log(`#   ${r.label}: ${r.outcome}${r.temps ? `, ${r.temps} temp file(s) left` : ''}`);
  sb.cleanup();
});

async function check(c: Parameters<typeof crash>[1]): Promise<CrashReport> {
  const report = await crash(sb, c);
  reports.push(report);
  assert.deepEqual(report.problems, [], report.label);
  return report;
}

function removed(uri: string): (l: Layout) => boolean {
  const row = readRows(sb.dbFile).find((r) => r.uri?.startsWith(`${uri}@`));
  assert.ok(row?.image, `${uri} is catalogued`);
  return (l) => !l.rows.some((r) => r.id === row.id) && !fs.existsSync(row.image!);
}

test('rmi killed at every step: the row and the file go together', async () => {
  const points = ['remove-intent-written', 'db-before-commit', 'remove-after-unlink-before-row', 'remove-before-intent-end'];
  for (const [i, point] of points.entries()) {
    const r = await check({ args: ['rmi', `crash/rm-${i}:v1`], point, rerun: 'if-not-done', done: removed(`crash/rm-${i}:v1`) });
    assert.equal(r.outcome, 'completed', 'the intent was written first, so recovery finishes the removal');
  }
});

test('rmi killed while its intent is being written: nothing happened, and the re-run removes it', async () => {
  const r = await check({
    args: ['rmi', 'crash/rm-4:v1'],
    point: 'atomic-write-before-rename',
    rerun: 'if-not-done',
    done: removed('crash/rm-4:v1'),
  });
  assert.equal(r.outcome, 'untouched');
});

test('a kill during recovery is recovered by the next run', async () => {
  const file = await sif('recovery');
  const version = sha256(file);
  const uri = 'crash/recovery:v1';
  // leave an intent behind, then kill the process that recovers it, right after it rolled forward
  const first = await killAtPoint(sb, ['add', file, '--name', uri, '--copy'], 'add-intent-written');
  assert.ok(first.paused, first.stderr);
  const done = (l: Layout) => l.rows.some((r) => r.uri === `${uri}@${version}`);
  const r = await check({ args: ['images'], point: 'recover-after-roll-forward', rerun: 'always', done });
  assert.equal(r.outcome, 'completed');
});
