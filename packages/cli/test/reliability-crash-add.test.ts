// Crash safety of `add` (copy and move): the CLI is SIGKILLed at named points inside each change
// (packages/core/src/testing-hooks.ts); the next command that opens the catalogue must leave it consistent, with
// the change done wholly or not at all, and the command must work when run again. The last test checks what
// happens to the temp files those kills leave.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sampleSif } from '@sregistry/testkit';
import {
  ageTemps,
  type CrashReport,
  crash,
  invariantProblems,
  layout,
  readRows,
  type Sandbox,
  sandbox,
  sha256,
} from './reliability-helpers';

let sb: Sandbox;
const reports: CrashReport[] = [];
before(() => {
  sb = sandbox();
});
after(() => {
  const problems = reports.reduce((n, r) => n + r.problems.length, 0);
  console.log(`# crash-add: ${reports.length} kills, ${problems} inconsistencies`);
  for (const r of reports) console.log(`#   ${r.label}: ${r.outcome}${r.temps ? `, ${r.temps} temp file(s) left` : ''}`);
  sb.cleanup();
});

async function sif(name: string): Promise<string> {
  const file = path.join(sb.home, 'src', `${name}.sif`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sampleSif(file, { deffile: `Bootstrap: docker\nFrom: ${name}\n` });
  return file;
}

const hasRow = (uri: string, version: string) => (l: { rows: { uri: string | null }[] }) =>
  l.rows.some((r) => r.uri === `${uri}@${version}`);

async function check(c: Parameters<typeof crash>[1]): Promise<CrashReport> {
  const report = await crash(sb, c);
  reports.push(report);
  assert.deepEqual(report.problems, [], report.label);
  return report;
}

const COPY_POINTS = [
  'add-intent-written',
  'place-copy-temp-written',
  'place-copy-after-rename',
  'add-after-place-before-row',
  'db-before-commit',
  'add-before-intent-end',
];

test('add --copy killed at every step: recovered, and a re-run updates the same row', async () => {
  for (const [i, point] of COPY_POINTS.entries()) {
    const file = await sif(`copy-${i}`);
    const version = sha256(file);
    const uri = `crash/copy-${i}:v1`;
    await check({ args: ['add', file, '--name', uri, '--copy'], point, rerun: 'always', done: hasRow(uri, version) });
    assert.equal(sha256(file), version, 'the source of a copy is never touched');
    assert.equal(readRows(sb.dbFile).filter((r) => r.uri === `${uri}@${version}`).length, 1);
  }
});

test('add (move) killed before and after the rename: recovery finishes the move', async () => {
  for (const point of ['place-before-rename', 'place-after-rename', 'db-before-commit']) {
    const file = await sif(`move-${point}`);
    const version = sha256(file);
    const uri = `crash/move-${point}:v1`;
    // the source is gone once recovery finished the move, so a re-run is only possible when nothing happened
    const r = await check({ args: ['add', file, '--name', uri], point, rerun: 'if-not-done', done: hasRow(uri, version) });
    assert.equal(r.outcome, 'completed', 'the intent was written before the kill, so recovery rolls forward');
    assert.ok(!fs.existsSync(file), 'moved, not copied');
  }
});

test("the kills' temps are gone after the next command (their processes are dead); another host's wait until stale", async () => {
  assert.deepEqual(layout(sb).temps, [], 'every temp of a killed process was removed by the `images` that followed its kill');
  // a copy in progress on another machine that shares the storage: its pid means nothing here, so only age counts
  const image = layout(sb).files.find((f) => f.startsWith(sb.storage))!;
  const foreign = path.join(path.dirname(image), `.${path.basename(image)}.sregistry-00000000-1-abcdef12.tmp`);
  fs.writeFileSync(foreign, 'half a copy');
  assert.equal((await sb.run(['images'])).code, 0);
  assert.deepEqual(layout(sb).temps, [foreign], 'younger than the age limit (24 h): its process may still be writing it');
  ageTemps(sb, 25);
  assert.equal((await sb.run(['images'])).code, 0);
  assert.deepEqual(layout(sb).temps, [], 'stale leftovers are cleaned by the next command that opens the catalogue');
  assert.deepEqual(invariantProblems(sb), []);
});
