// Crash safety of `pull` from a registry (the fake Singularity Registry Server on 127.0.0.1): SIGKILL in the
// middle of the download, after it, and at every step of cataloguing it (packages/core/src/testing-hooks.ts).
// After each kill the catalogue is consistent, the image is either fully catalogued or absent, and pulling again
// works.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { type RegistryServerHandle, startRegistryServer } from '@sregistry/testkit';
import {
  type CrashReport,
  crash,
  type Layout,
  linkedPluginData,
  readRows,
  type Sandbox,
  sandbox,
  TOKEN,
  USER,
} from './reliability-helpers';

const SIZE = 3 * 1024 * 1024;
const POINTS: { point: string; bytes?: number; outcome: CrashReport['outcome'] }[] = [
  { point: 'download-bytes', bytes: 64 * 1024, outcome: 'untouched' },
  { point: 'download-bytes', bytes: SIZE - 1, outcome: 'untouched' },
  { point: 'pull-downloaded', outcome: 'untouched' },
  { point: 'pull-before-catalog', outcome: 'untouched' },
  { point: 'add-intent-written', outcome: 'completed' },
  { point: 'place-before-rename', outcome: 'completed' },
  { point: 'place-after-rename', outcome: 'completed' },
  { point: 'db-before-commit', outcome: 'completed' },
  { point: 'add-before-intent-end', outcome: 'completed' },
];

let server: RegistryServerHandle;
let plugins: { dir: string; cleanup(): void };
let sb: Sandbox;
const reports: CrashReport[] = [];

before(async () => {
  server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    // one tag per kill, so every kill starts with the image absent from the catalogue
    seed: [{ name: 'vanessa', owners: [USER], containers: POINTS.map((_, i) => ({ name: 'big', tag: `t${i}`, file: SIZE })) }],
  });
  plugins = await linkedPluginData();
  sb = sandbox({ pluginData: plugins.dir, env: { SREGISTRY_CLIENT: 'registry', SREGISTRY_REGISTRY_BASE: server.url } });
});
after(async () => {
  const problems = reports.reduce((n, r) => n + r.problems.length, 0);
  console.log(`# crash-pull: ${reports.length} kills, ${problems} inconsistencies`);
  for (const r of reports) console.log(`#   ${r.label}: ${r.outcome}${r.temps ? `, ${r.temps} temp file(s) left` : ''}`);
  sb.cleanup();
  plugins.cleanup();
  await server.close();
});

/** The pull's whole effect: one row for the image whose file is the full download. */
const pulled = (tag: string) => (l: Layout) =>
  l.rows.some((r) => r.uri?.startsWith(`vanessa/big:${tag}@`) && r.image && fs.statSync(r.image).size === SIZE);

test('pull killed during the download and at every step of cataloguing it', async () => {
  for (const [i, { point, bytes, outcome }] of POINTS.entries()) {
    const report = await crash(sb, { args: ['pull', `vanessa/big:t${i}`], point, bytes, rerun: 'always', done: pulled(`t${i}`) });
    reports.push(report);
    assert.deepEqual(report.problems, [], report.label);
    assert.equal(report.outcome, outcome, `${report.label}: ${report.detail}`);
    assert.equal(readRows(sb.dbFile).length, i + 1, 'one row per pulled image');
  }
});
