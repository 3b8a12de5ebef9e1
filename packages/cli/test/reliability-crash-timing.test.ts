// Kills that no pause point chooses: SIGKILL by timing while a slow download is on the wire (timed by the
// bytes a proxy has forwarded), while the server sits on the request, and right after the last byte arrived
// (racing the hashing and cataloguing); `pull --name` (a custom destination outside storage); and `push`,
// killed mid-upload, after the server answered, and by timing. Same checks as the other crash suites.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RegistryServerHandle, sampleSif, startRegistryServer } from '@sregistry/testkit';
import {
  type CrashReport,
  crash,
  type FaultProxy,
  type Layout,
  linkedPluginData,
  readRows,
  type Sandbox,
  sandbox,
  startFaultProxy,
  TOKEN,
  USER,
} from './reliability-helpers';

const SIZE = 2 * 1024 * 1024;
let server: RegistryServerHandle;
let proxy: FaultProxy;
let plugins: { dir: string; cleanup(): void };
let sb: Sandbox;
const reports: CrashReport[] = [];

before(async () => {
  proxy = await startFaultProxy();
  server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    domain: proxy.url,
    seed: [
      { name: 'vanessa', owners: [USER], containers: ['t0', 't1', 't2', 't3', 'named'].map((tag) => ({ name: 'slow', tag, file: SIZE })) },
    ],
  });
  proxy.target = server.url;
  plugins = await linkedPluginData();
  sb = sandbox({ pluginData: plugins.dir, env: { SREGISTRY_CLIENT: 'registry', SREGISTRY_REGISTRY_BASE: proxy.url } });
  fs.writeFileSync(sb.secretsFile, JSON.stringify({ registry: { username: USER, token: TOKEN } }), { mode: 0o600 });
});
after(async () => {
  const problems = reports.reduce((n, r) => n + r.problems.length, 0);
  console.log(`# crash-timing: ${reports.length} kills, ${problems} inconsistencies`);
  for (const r of reports) console.log(`#   ${r.label}: ${r.detail}, ${r.outcome}${r.temps ? `, ${r.temps} temp file(s) left` : ''}`);
  sb.cleanup();
  plugins.cleanup();
  await server.close();
  await proxy.close();
});

async function check(c: Parameters<typeof crash>[1]): Promise<CrashReport> {
  const report = await crash(sb, c);
  reports.push(report);
  assert.deepEqual(report.problems, [], report.label);
  return report;
}

const pulled = (tag: string) => (l: Layout) =>
  l.rows.some(
    (r) => r.uri?.startsWith(`vanessa/slow:${tag}@`) && r.image !== null && fs.existsSync(r.image) && fs.statSync(r.image).size === SIZE,
  );

test('pull killed by timing during a slow download and right after its last byte', async () => {
  const moments = [0.25, 0.9, 1];
  for (const [i, share] of moments.entries()) {
    const start = proxy.downloaded;
    const when = async () => {
      await proxy.until('downloaded', start + Math.floor(SIZE * share));
      proxy.rate = 0; // the re-run goes at full speed
    };
    proxy.rate = 2 * 1024 * 1024;
    const r = await check({ args: ['pull', `vanessa/slow:t${i}`], when, rerun: 'always', done: pulled(`t${i}`) });
    assert.equal(r.detail, 'killed by timing', 'the kill landed while the command ran');
  }
});

test('pull killed while the server sits on the request (delayMs)', async () => {
  server.setFaults({ delayMs: 4000 });
  const start = server.requests.length;
  // a kill by the clock: 500 ms after the manifest request reached the server (which then waits 4 s)
  const when = async () => {
    while (server.requests.length === start) await sleep(20);
    await sleep(500);
    server.setFaults({}); // for the re-run; the request in flight keeps its delay
  };
  const r = await check({ args: ['pull', 'vanessa/slow:t3'], when, rerun: 'always', done: pulled('t3') });
  assert.equal(r.detail, 'killed by timing');
  assert.equal(r.outcome, 'untouched', 'killed before a byte arrived: nothing to recover (the re-run pulled it)');
});

test('pull --name to a folder outside storage, killed mid-download and after placing the file', async () => {
  const dir = path.join(sb.home, 'custom');
  const dest = path.join(dir, 'slow.sif');
  const args = ['pull', '--name', dest, 'vanessa/slow:named'];
  const there = (l: Layout) => l.rows.some((r) => r.image === dest) && fs.existsSync(dest) && fs.statSync(dest).size === SIZE;
  const first = await check({ args, point: 'download-bytes', bytes: 1024 * 1024, rerun: 'if-not-done', done: there, extraDirs: [dir] });
  assert.equal(first.outcome, 'untouched');
  fs.rmSync(dest);
  assert.equal((await sb.run(['rm', 'vanessa/slow:named'])).code, 0);
  const second = await check({ args, point: 'place-after-rename', rerun: 'if-not-done', done: there, extraDirs: [dir] });
  assert.equal(second.outcome, 'completed');
});

test('push killed mid-upload, after the server answered, and by timing: a re-run stores it once', async () => {
  const file = path.join(sb.home, 'push.sif');
  await sampleSif(file);
  fs.appendFileSync(file, Buffer.alloc(1024 * 1024, 7)); // big enough to be killed half-way through a slowed upload
  const md5 = createHash('md5').update(fs.readFileSync(file)).digest('hex');
  const rows = readRows(sb.dbFile);
  const stored = (tag: string) => () => {
    const found = server.containers().filter((c) => c.collection === USER && c.name === 'pushed' && c.tag === tag);
    return found.length === 1 && found[0]!.version === md5;
  };
  const size = fs.statSync(file).size;
  await check({
    args: ['push', file, '--name', `${USER}/pushed:a`],
    point: 'upload-bytes',
    bytes: 4096,
    rerun: 'always',
    done: stored('a'),
  });
  await check({ args: ['push', file, '--name', `${USER}/pushed:b`], point: 'upload-answered', rerun: 'always', done: stored('b') });
  proxy.rate = 512 * 1024;
  const start = proxy.uploaded;
  const when = async () => {
    await proxy.until('uploaded', start + size / 2);
    proxy.rate = 0; // the re-run goes at full speed
  };
  const timed = await check({ args: ['push', file, '--name', `${USER}/pushed:c`], when, rerun: 'always', done: stored('c') });
  assert.equal(timed.detail, 'killed by timing');
  // either outcome is right: the socket buffers may already hold the whole body when the kill lands, and the
  // proxy then delivers it (the pause-point kill above is the deterministic mid-body case)
  assert.ok(['untouched', 'completed'].includes(timed.outcome));
  assert.deepEqual(readRows(sb.dbFile), rows, 'push never touches the local catalogue');
});
