#!/usr/bin/env node
// Transfer benchmark: `sregistry pull`/`push` against curl doing the same HTTP work, side by side in one run,
// on the testkit's fake registry over 127.0.0.1. Rounds alternate which tool goes first; medians are reported.
//
//   node bench/transfer.mjs [--sizes 64,512] [--rounds 3] [--json results.json] [--keep]
//
// curl pull  = GET of the download URL into a file (no manifest request, no hashing, no catalogue).
// curl push  = the two native requests with HMAC headers computed beforehand (signing is not timed).
// sregistry  = the built CLI in a throw-away HOME with the registry plugin linked, --quiet (no progress bar), and
//              oclif's auto-transpile of linked plugins off (lib/no-autotranspile.cjs), as for an installed plugin.
// `pull --no-verify` (no md5 to compare with the registry's version) is measured against the same curl runs: the
// difference is what verifying costs.
// A 4 KiB image is measured too: its time is the fixed cost (process start, module loading, API round trips),
// and "per-byte ratio" divides out that fixed cost: (sregistry - sregistry@4KiB) / (curl - curl@4KiB).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { homeEnv } from './lib/home.mjs';
import { measure, median, rssSource } from './lib/measure.mjs';
import { writeRandomFile } from './lib/random-file.mjs';
import { cpuMedian, fmt, machineLine, markdownTable } from './lib/report.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'packages', 'cli', 'bin', 'run.js');
const PLUGIN = path.join(ROOT, 'packages', 'backend-registry');
const require = createRequire(import.meta.url);
const { signRequest } = require(path.join(ROOT, 'packages', 'testkit', 'dist', 'index.js'));

const TARGETS = { pull: 1.15, push: 1.25, rssMb: 150, rssGrowthMb: 20 };
const MiB = 1024 * 1024;
const TINY = 4096;

const { values: opts } = parseArgs({
  options: {
    sizes: { type: 'string', default: '64,512' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const sizesMiB = opts.sizes.split(',').map((s) => Number(s.trim()));
if (sizesMiB.some((s) => !(s > 0))) throw new Error(`--sizes takes MiB numbers like 64,512, got ${opts.sizes}`);
const rounds = Number(opts.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds takes a positive integer, got ${opts.rounds}`);

const work = mkdtempSync(path.join(os.tmpdir(), 'sregistry-bench-'));
const log = (line) => process.stderr.write(`${line}\n`);
const loadAtStart = os.loadavg();
let server;

try {
  await main();
} finally {
  server?.kill('SIGTERM');
  if (!opts.keep) rmSync(work, { recursive: true, force: true });
  else log(`kept ${work}`);
}

async function main() {
  const images = [
    { label: '4 KiB', name: 'tiny', bytes: TINY },
    ...sizesMiB.map((m) => ({ label: `${m} MiB`, name: `img${m}`, bytes: m * MiB })),
  ];
  mkdirSync(path.join(work, 'files'));
  for (const [i, image] of images.entries()) {
    image.file = path.join(work, 'files', `${image.name}.sif`);
    log(`writing ${image.label} of random bytes to ${image.file}`);
    await writeRandomFile(image.file, image.bytes, i + 1);
  }

  const token = randomBytes(20).toString('hex');
  const registry = await startServer(path.join(work, 'registry'), token, images);
  log(`registry listening on ${registry.url}`);
  const cli = await cliHome(registry);
  for (const image of images) image.downloadUrl = await downloadUrl(registry, image.name);

  const results = [];
  for (const image of images) {
    const samples = { pull: newSamples(), 'pull --no-verify': newSamples(), push: newSamples() };
    for (let round = 1; round <= rounds; round++) {
      // alternate the order so neither tool always meets a warmer page cache or a busier server
      const order = round % 2 ? ['curl', 'sregistry'] : ['sregistry', 'curl'];
      for (const tool of order) await pullOnce(tool, image, cli, samples.pull);
      await pullOnce('sregistry', image, cli, samples['pull --no-verify'], ['--no-verify']);
      for (const tool of order) await pushOnce(tool, image, cli, registry, samples.push);
      log(
        `${image.label} round ${round}: pull curl ${fmt(samples.pull.curl.at(-1))} s / sregistry ${fmt(samples.pull.sregistry.at(-1))} s, push curl ${fmt(samples.push.curl.at(-1))} s / sregistry ${fmt(samples.push.sregistry.at(-1))} s`,
      );
    }
    samples['pull --no-verify'].curl = samples.pull.curl;
    samples['pull --no-verify'].curlCpu = samples.pull.curlCpu;
    for (const op of ['pull', 'pull --no-verify', 'push']) {
      const s = samples[op];
      results.push({
        size: image.label,
        bytes: image.bytes,
        op,
        curl: median(s.curl),
        sregistry: median(s.sregistry),
        curlCpu: cpuMedian(s.curlCpu),
        sregistryCpu: cpuMedian(s.sregistryCpu),
        rssMb: Math.max(...s.rss),
        samples: s,
      });
    }
  }
  report(results);
}

function newSamples() {
  return { curl: [], sregistry: [], curlCpu: [], sregistryCpu: [], rss: [] };
}

/** Starts bench/lib/serve-registry.mjs and waits for its one JSON line. */
function startServer(dataDir, token, images) {
  const args = [path.join(import.meta.dirname, 'lib', 'serve-registry.mjs'), dataDir, token, ...images.map((i) => `${i.name}=${i.file}`)];
  server = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`the registry server exited (${code}) before listening`)));
    createInterface({ input: server.stdout }).once('line', (line) => resolve(JSON.parse(line)));
  });
}

/** A HOME with the secrets file a registry hands out and the plugin linked from this checkout. */
async function cliHome(registry) {
  const home = path.join(work, 'home');
  mkdirSync(home);
  writeFileSync(
    path.join(home, '.sregistry'),
    JSON.stringify({ registry: { token: registry.token, username: registry.username, base: registry.url } }),
    { mode: 0o600 },
  );
  const env = {
    ...homeEnv(home),
    SREGISTRY_CLIENT: 'registry',
    NODE_OPTIONS: `--require ${path.join(import.meta.dirname, 'lib', 'no-autotranspile.cjs')}`,
  };
  const cwd = path.join(home, 'work');
  mkdirSync(cwd);
  await measure(process.execPath, [BIN, 'plugins', 'link', PLUGIN, '--no-install'], { env, cwd });
  return { env, cwd, home };
}

async function downloadUrl(registry, name) {
  const answer = await fetch(`${registry.url}/api/container/bench/${name}:latest`);
  if (!answer.ok) throw new Error(`manifest of bench/${name}: HTTP ${answer.status}`);
  return (await answer.json()).image;
}

async function pullOnce(tool, image, cli, samples, extraArgs = []) {
  if (tool === 'curl') {
    const out = path.join(cli.cwd, `${image.name}.curl`);
    const run = await measure('curl', ['-s', '-f', '-o', out, image.downloadUrl]);
    expectSize(out, image.bytes, 'curl pull');
    rmSync(out);
    samples.curl.push(run.seconds);
    samples.curlCpu.push(run.cpuSeconds);
    return;
  }
  const run = await measure(process.execPath, [BIN, 'pull', '--quiet', '--json', ...extraArgs, `bench/${image.name}:latest`], cli);
  const pulled = JSON.parse(run.stdout);
  expectSize(pulled.path, image.bytes, 'sregistry pull');
  samples.sregistry.push(run.seconds);
  samples.sregistryCpu.push(run.cpuSeconds);
  samples.rss.push(run.rssMb);
  // the next round starts from the same catalogue state (untimed)
  await measure(process.execPath, [BIN, 'rmi', `bench/${image.name}:latest`], cli);
}

async function pushOnce(tool, image, cli, registry, samples) {
  if (tool === 'curl') {
    const tag = 'curl';
    const sign = (kind) =>
      signRequest(kind, { username: registry.username, token: registry.token, collection: 'bench', name: image.name, tag });
    const pushAuth = sign('push');
    const uploadAuth = sign('upload');
    const step1 = await measure('curl', [
      '-s',
      '-f',
      '-X',
      'POST',
      '-H',
      `Authorization: ${pushAuth}`,
      '-H',
      'Content-Type: application/json',
      '--data',
      JSON.stringify({ collection: 'bench', name: image.name, tag }),
      `${registry.url}/api/upload/chunked_upload`,
    ]);
    const { cid } = JSON.parse(step1.stdout);
    const step2 = await measure('curl', [
      '-s',
      '-f',
      '-H',
      'Expect:',
      '-H',
      `Authorization: ${uploadAuth}`,
      '--form-string',
      `SREGISTRY_EVENT=${uploadAuth}`,
      '--form-string',
      `name=${image.name}`,
      '--form-string',
      `collection=${cid}`,
      '--form-string',
      `tag=${tag}`,
      '-F',
      `file1=@${image.file};filename=${image.name}:${tag}.sif;type=text/plain`,
      `${registry.url}/upload`,
    ]);
    if (JSON.parse(step2.stdout).message !== 'Upload Complete') throw new Error(`curl push: ${step2.stdout}`);
    samples.curl.push(step1.seconds + step2.seconds);
    samples.curlCpu.push(step1.cpuSeconds === undefined ? undefined : step1.cpuSeconds + step2.cpuSeconds);
    return;
  }
  const run = await measure(
    process.execPath,
    [BIN, 'push', '--quiet', '--json', image.file, '--name', `bench/${image.name}:sregistry`],
    cli,
  );
  const pushed = JSON.parse(run.stdout);
  if (pushed.size !== image.bytes || !pushed.version) throw new Error(`sregistry push: ${run.stdout}`);
  samples.sregistry.push(run.seconds);
  samples.sregistryCpu.push(run.cpuSeconds);
  samples.rss.push(run.rssMb);
}

function expectSize(file, bytes, what) {
  const size = statSync(file).size;
  if (size !== bytes) throw new Error(`${what} wrote ${size} bytes, expected ${bytes}`);
}

function report(results) {
  const tiny = Object.fromEntries(results.filter((r) => r.bytes === TINY).map((r) => [r.op, r]));
  const rows = results.map((r) => {
    const ratio = r.sregistry / r.curl;
    const fixed = tiny[r.op];
    // only meaningful when curl's own size-dependent time is well above the timer noise
    const curlBytesTime = r.curl - fixed.curl;
    const perByte = r.bytes === TINY || curlBytesTime < 0.1 ? undefined : (r.sregistry - fixed.sregistry) / curlBytesTime;
    const mibs = (t) => (r.bytes === TINY ? '-' : fmt(r.bytes / MiB / t, 0));
    return {
      ...r,
      ratio,
      perByte,
      cells: [
        r.size,
        r.op,
        fmt(r.curl),
        fmt(r.sregistry),
        `${fmt(ratio)}x`,
        perByte === undefined ? '-' : `${fmt(perByte)}x`,
        mibs(r.curl),
        mibs(r.sregistry),
        fmt(r.curlCpu),
        fmt(r.sregistryCpu),
        fmt(r.rssMb, 0),
      ],
    };
  });
  const header = [
    'size',
    'op',
    'curl s',
    'sregistry s',
    'ratio',
    'per-byte ratio',
    'curl MiB/s',
    'sregistry MiB/s',
    'curl CPU s',
    'sregistry CPU s',
    'peak RSS MB',
  ];
  const table = markdownTable(
    header,
    rows.map((r) => r.cells),
  );
  const out = [];
  out.push(`sregistry transfer benchmark — ${new Date().toISOString()}`);
  out.push(machineLine(loadAtStart));
  out.push(
    `command: node bench/transfer.mjs --sizes ${sizesMiB.join(',')} --rounds ${rounds}; medians of ${rounds} alternating rounds; RSS: ${rssSource}, max over rounds`,
  );
  out.push('');
  out.push(...table);
  out.push('');
  const big = rows.filter((r) => r.bytes !== TINY);
  const verdict = (ok) => (ok ? 'met' : 'MISSED');
  for (const op of ['pull', 'pull --no-verify', 'push']) {
    const target = TARGETS[op.split(' ')[0]];
    const these = big.filter((r) => r.op === op);
    out.push(
      `target ${op} <= ${target}x curl: ${these.map((r) => `${r.size} ${fmt(r.ratio)}x (per-byte ${fmt(r.perByte)}x)`).join(', ')} -> ${verdict(these.every((r) => r.ratio <= target))} (per-byte: ${verdict(these.every((r) => r.perByte === undefined || r.perByte <= target))})`,
    );
  }
  const rss = big.map((r) => r.rssMb);
  out.push(`target peak RSS <= ${TARGETS.rssMb} MB: max ${fmt(Math.max(...rss), 0)} MB -> ${verdict(Math.max(...rss) <= TARGETS.rssMb)}`);
  // "flat" = the same peak for a small and a big image; the 4 KiB row is the baseline (the CLI and its modules),
  // the first MiBs of streaming add V8's young generation and buffers in flight, which must not keep growing.
  for (const op of ['pull', 'push']) {
    const byOp = big.filter((r) => r.op === op).sort((a, b) => a.bytes - b.bytes);
    const base = `baseline at 4 KiB ${fmt(tiny[op].rssMb, 0)} MB`;
    if (byOp.length < 2) {
      out.push(`target RSS flat (${op}): needs two sizes; ${base}`);
      continue;
    }
    const growth = byOp.at(-1).rssMb - byOp[0].rssMb;
    out.push(
      `target RSS flat (${op}, ${byOp[0].size} -> ${byOp.at(-1).size}, within ${TARGETS.rssGrowthMb} MB): ${growth >= 0 ? '+' : ''}${fmt(growth, 0)} MB -> ${verdict(growth <= TARGETS.rssGrowthMb)}; ${base}`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
  if (opts.json)
    writeFileSync(
      opts.json,
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, rounds, results: rows.map(({ cells, ...r }) => r) }, null, 2)}\n`,
    );
}
