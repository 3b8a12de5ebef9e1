// What a SIGKILL leaves on disk, and who removes it (issue 11, "Leftovers after kill -9"). Each case kills a
// command where it has a temp file on disk (a `.part` in <storage>/.tmp, a copy beside an image, a download beside
// a `pull --name` destination, a copy beside a cross-file-system `mv` destination, a half-written intent), checks
// that the temp is really there, then runs plain `images`: that must remove every temp of the dead process and
// leave the catalogue consistent. The temps are found through storage's .tmp alone (temp-files.ts), so this
// costs `images` one folder listing when nothing was left.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type RegistryServerHandle, sampleSif, startRegistryServer } from '@sregistry/testkit';
import {
  invariantProblems,
  killAtPoint,
  layout,
  linkedPluginData,
  mountTmpfs,
  type Sandbox,
  sandbox,
  TOKEN,
  USER,
  walk,
} from './reliability-helpers';

let server: RegistryServerHandle;
let plugins: { dir: string; cleanup(): void };
let sb: Sandbox;
const report: string[] = [];
const undo: (() => void)[] = [];
const PULL = 'registry://big/image:latest';

before(async () => {
  server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    seed: [{ name: 'big', owners: [USER], containers: [{ name: 'image', tag: 'latest', file: 2 * 1024 * 1024 }] }],
  });
  plugins = await linkedPluginData();
  sb = sandbox({ pluginData: plugins.dir, env: { SREGISTRY_REGISTRY_BASE: server.url } });
  fs.writeFileSync(sb.secretsFile, JSON.stringify({ registry: { username: USER, token: TOKEN } }), { mode: 0o600 });
  await sampleSif(path.join(sb.home, 'one.sif'));
  fs.appendFileSync(path.join(sb.home, 'one.sif'), Buffer.alloc(512 * 1024, 7));
  const r = await sb.run(['add', 'one.sif', '--name', 'keep/one:v1', '--copy']);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  console.log(`# leftovers after kill -9: ${report.length} cases, every temp removed by the next \`images\``);
  for (const l of report) console.log(`#   ${l}`);
  for (const u of undo.reverse()) u();
  sb.cleanup();
  plugins.cleanup();
  await server.close();
});

const journal = () => path.join(sb.storage, '.tmp', 'journal');
const journalTemps = () => walk(journal()).filter((f) => path.basename(f).startsWith('.'));

/** Kills `args` at `point`, proves a temp was left (where `found` looks), then checks that `images` removes it. */
async function leftBehind(
  label: string,
  args: string[],
  point: string,
  found: () => string[],
  options: { bytes?: number; extra?: string[] } = {},
) {
  const k = await killAtPoint(sb, args, point, { bytes: options.bytes });
  assert.ok(k.paused, `${label}: never reached ${point}: ${k.stderr}`);
  const temps = found();
  assert.ok(temps.length > 0, `${label}: the kill left a temp file`);
  const listed = await sb.run(['images']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(found(), [], `${label}: images removed the dead process's temps`);
  assert.deepEqual(invariantProblems(sb, options.extra), [], label);
  report.push(`${label}: ${temps.map((t) => path.basename(t)).join(', ')} removed by images`);
}

test('a killed pull leaves a .part in <storage>/.tmp; images removes it', async () => {
  await leftBehind('pull @ 64 KiB', ['pull', PULL], 'download-bytes', () => layout(sb).temps, { bytes: 64 * 1024 });
});

test('a killed pull --name leaves a temp beside the destination; images removes it', async () => {
  const out = path.join(sb.home, 'out');
  fs.mkdirSync(out, { recursive: true });
  const found = () => walk(out).filter((f) => path.basename(f).startsWith('.'));
  await leftBehind('pull --name @ 64 KiB', ['pull', '--name', path.join(out, 'named.sif'), PULL], 'download-bytes', found, {
    bytes: 64 * 1024,
    extra: [out],
  });
  fs.rmSync(out, { recursive: true, force: true });
});

test('a killed add --copy leaves a copy beside the image in storage; images removes it', async () => {
  await leftBehind(
    'add --copy @ place-copy-temp-written',
    ['add', 'one.sif', '--name', 'keep/two:v1', '--copy'],
    'place-copy-temp-written',
    () => layout(sb).temps,
  );
});

test('a killed mv leaves a half-written intent temp in the journal; images removes it', async () => {
  await leftBehind(
    'mv @ atomic-write-before-rename',
    ['mv', 'keep/one:v1', path.join(sb.home, 'moved.sif')],
    'atomic-write-before-rename',
    journalTemps,
  );
});

test('a killed mv across file systems leaves a copy beside the destination; images removes it', async (t) => {
  const mount = mountTmpfs(path.join(sb.home, 'other-fs'), { sizeKb: 8192 });
  if (!mount) {
    report.push('mv across file systems: skipped (mount not permitted)');
    t.skip('mount not permitted');
    return;
  }
  undo.push(() => mount.unmount());
  const found = () => walk(mount.dir).filter((f) => path.basename(f).startsWith('.'));
  await leftBehind('mv across file systems @ place-copy-temp-written', ['mv', 'keep/one:v1', mount.dir], 'place-copy-temp-written', found, {
    extra: [mount.dir],
  });
});
