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
//
// Limits, printed first: one core's md5 and sha256 rate (node:crypto on 64 MiB), and per image and round a
// `dd ... conv=fsync` write of the image (the disk alone) and `curl -o` followed by `openssl dgst -md5` and
// `openssl dgst -sha256` of curl's file: the same guarantees as a verified pull, one after the other. A verified
// pull is compared with that sum, `pull --no-verify` (sha256 only) with `curl -o`. The Python original's column
// is measured when `sregistry` on PATH is the Python client, else skipped with a note.
// Fixed costs: `node -e 0` against the 4 KiB pull, `--help`, `backend status` and `search` (against the same
// server), in the same rounds.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { registryEnv } from './lib/home.mjs';
import { cpuHasShaExtensions, diskWrite, hashRate, pythonOriginal } from './lib/limits.mjs';
import { measure, median, rssSource } from './lib/measure.mjs';
import { writeRandomFile } from './lib/random-file.mjs';
import { cpuMedian, fmt, machineLine, markdownTable } from './lib/report.mjs';
import { expectSize, newSamples, recordRun, resultRow } from './lib/samples.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'packages', 'cli', 'bin', 'run.js');
const PLUGIN = path.join(ROOT, 'packages', 'backend-registry');
const require = createRequire(import.meta.url);
const { signRequest } = require(path.join(ROOT, 'packages', 'testkit', 'dist', 'index.js'));

// issue 13: verified pull <= the sequential curl + md5 + sha256, sha256-only pull <= 1.3x curl, push <= 1.25x
// curl, <= 0.6x the Python original, fixed costs <= 3x `node -e 0`
const TARGETS = { pull: 1.0, 'pull --no-verify': 1.3, push: 1.25, python: 0.6, startup: 3, rssMb: 150, rssGrowthMb: 20 };
const STARTUP = [
  { label: '4 KiB pull', args: null },
  { label: '--help', args: ['--help'] },
  { label: 'backend status', args: ['backend', 'status'] },
  { label: 'search bench', args: ['search', 'bench'] },
];
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
const python = pythonOriginal();
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

  const limits = {
    md5: hashRate('md5'),
    sha256: hashRate('sha256'),
    shaExtensions: cpuHasShaExtensions(),
    bySize: {},
  };
  const startup = { node: newTimes(), ...Object.fromEntries(STARTUP.map((c) => [c.label, newTimes()])) };
  const results = [];
  for (const image of images) {
    const samples = { pull: newSamples(), 'pull --no-verify': newSamples(), push: newSamples() };
    const limit = { md5: newTimes(), sha256: newTimes(), curlHashes: newTimes(), dd: newTimes(), python: newTimes() };
    for (let round = 1; round <= rounds; round++) {
      // alternate the order so neither tool always meets a warmer page cache or a busier server
      const order = round % 2 ? ['curl', 'sregistry'] : ['sregistry', 'curl'];
      for (const tool of order) await pullOnce(tool, image, cli, samples.pull, [], limit);
      await pullOnce('sregistry', image, cli, samples['pull --no-verify'], ['--no-verify']);
      if (python.command) await pythonPullOnce(image, cli, limit.python);
      if (image.bytes !== TINY) addTimes(limit.dd, await diskWrite(image.file, path.join(work, 'dd.out')));
      for (const tool of order) await pushOnce(tool, image, cli, registry, samples.push);
      if (image.bytes === TINY) await startupRound(cli, startup, round, samples.pull);
      log(
        `${image.label} round ${round}: pull curl ${fmt(samples.pull.curl.at(-1))} s (+md5+sha256 ${fmt(limit.curlHashes.seconds.at(-1))} s) / sregistry ${fmt(samples.pull.sregistry.at(-1))} s, --no-verify ${fmt(samples['pull --no-verify'].sregistry.at(-1))} s, push curl ${fmt(samples.push.curl.at(-1))} s / sregistry ${fmt(samples.push.sregistry.at(-1))} s`,
      );
    }
    samples['pull --no-verify'].curl = samples.pull.curl;
    samples['pull --no-verify'].curlCpu = samples.pull.curlCpu;
    limits.bySize[image.label] = Object.fromEntries(Object.entries(limit).map(([k, t]) => [k, summary(t)]));
    for (const op of ['pull', 'pull --no-verify', 'push']) results.push(resultRow(image, op, samples[op]));
  }
  const fixed = Object.fromEntries(Object.entries(startup).map(([k, t]) => [k, summary(t)]));
  report(results, limits, fixed);
}

/** Wall and CPU seconds of repeated runs of one thing. */
function newTimes() {
  return { seconds: [], cpu: [] };
}

function addTimes(times, ...runs) {
  times.seconds.push(runs.reduce((sum, r) => sum + r.seconds, 0));
  times.cpu.push(runs.some((r) => r.cpuSeconds === undefined) ? undefined : runs.reduce((sum, r) => sum + r.cpuSeconds, 0));
}

function summary(times) {
  return times.seconds.length ? { seconds: median(times.seconds), cpu: cpuMedian(times.cpu) } : undefined;
}

/** `node -e 0` and the oclif commands' fixed costs, in the 4 KiB rounds (the 4 KiB pull is timed there already). */
async function startupRound(cli, startup, round, tinyPulls) {
  const runs = [{ key: 'node', command: process.execPath, args: ['-e', '0'] }];
  for (const c of STARTUP) if (c.args) runs.push({ key: c.label, command: process.execPath, args: [BIN, ...c.args] });
  if (round % 2 === 0) runs.reverse();
  for (const run of runs) addTimes(startup[run.key], await measure(run.command, run.args, cli));
  startup['4 KiB pull'].seconds.push(tinyPulls.sregistry.at(-1));
  startup['4 KiB pull'].cpu.push(tinyPulls.sregistryCpu.at(-1));
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
  const env = registryEnv(home, registry);
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

async function pullOnce(tool, image, cli, samples, extraArgs = [], limit) {
  if (tool === 'curl') {
    const out = path.join(cli.cwd, `${image.name}.curl`);
    const run = await measure('curl', ['-s', '-f', '-o', out, image.downloadUrl]);
    expectSize(out, image.bytes, 'curl pull');
    recordRun(samples, 'curl', run);
    if (limit) {
      // the same guarantees as a verified pull, one step after the other
      const md5 = await measure('openssl', ['dgst', '-md5', out]);
      const sha256 = await measure('openssl', ['dgst', '-sha256', out]);
      addTimes(limit.md5, md5);
      addTimes(limit.sha256, sha256);
      addTimes(limit.curlHashes, run, md5, sha256);
    }
    rmSync(out);
    return;
  }
  const run = await measure(process.execPath, [BIN, 'pull', '--quiet', '--json', ...extraArgs, `bench/${image.name}:latest`], cli);
  const pulled = JSON.parse(run.stdout);
  expectSize(pulled.path, image.bytes, 'sregistry pull');
  recordRun(samples, 'sregistry', run);
  // the next round starts from the same catalogue state (untimed)
  await measure(process.execPath, [BIN, 'rmi', `bench/${image.name}:latest`], cli);
}

/** The Python original's pull of the same image, into its own storage folder in the same HOME (untested here: not installed). */
async function pythonPullOnce(image, cli, times) {
  const storage = path.join(cli.home, 'python-storage');
  const env = {
    ...cli.env,
    SREGISTRY_CLIENT: 'registry',
    SREGISTRY_STORAGE: storage,
    SREGISTRY_DATABASE: path.join(cli.home, 'python-db'),
  };
  delete env.NODE_OPTIONS;
  addTimes(times, await measure(python.command, ['pull', `bench/${image.name}:latest`], { env, cwd: cli.cwd }));
  rmSync(storage, { recursive: true, force: true });
  rmSync(env.SREGISTRY_DATABASE, { recursive: true, force: true });
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
  recordRun(samples, 'sregistry', run);
}

function report(results, limits, fixed) {
  const tiny = Object.fromEntries(results.filter((r) => r.bytes === TINY).map((r) => [r.op, r]));
  const rows = results.map((r) => {
    const ratio = r.sregistry / r.curl;
    const fixedCost = tiny[r.op];
    // only meaningful when curl's own size-dependent time is well above the timer noise
    const curlBytesTime = r.curl - fixedCost.curl;
    const perByte = r.bytes === TINY || curlBytesTime < 0.1 ? undefined : (r.sregistry - fixedCost.sregistry) / curlBytesTime;
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
  const out = [];
  out.push(`sregistry transfer benchmark — ${new Date().toISOString()}`);
  out.push(machineLine(loadAtStart));
  out.push(
    `command: node bench/transfer.mjs --sizes ${sizesMiB.join(',')} --rounds ${rounds}; medians of ${rounds} alternating rounds; RSS: ${rssSource}, max over rounds`,
  );
  // the limits first: no pipeline beats its slowest sequential stage
  out.push(
    `limit: one core hashes md5 at ${fmt(limits.md5, 0)} MiB/s and sha256 at ${fmt(limits.sha256, 0)} MiB/s (node:crypto, 64 MiB, best of 3; SHA extensions: ${limits.shaExtensions ?? 'none'})`,
  );
  const big = rows.filter((r) => r.bytes !== TINY);
  const byOp = (op, size) => rows.find((r) => r.op === op && r.size === size);
  for (const r of big.filter((x) => x.op === 'pull')) {
    const l = limits.bySize[r.size];
    const mib = r.bytes / MiB;
    out.push(
      `limit ${r.size}: md5 alone ${fmt(mib / limits.md5)} s, sha256 alone ${fmt(mib / limits.sha256)} s; dd write + fsync ${fmt(l.dd?.seconds)} s (${fmt(l.dd?.cpu)} CPU s); curl -o ${fmt(r.curl)} s; curl -o + openssl dgst -md5 + -sha256 ${fmt(l.curlHashes?.seconds)} s (${fmt(l.curlHashes?.cpu)} CPU s)`,
    );
  }
  out.push(python.note ? `python original: ${python.note}` : `python original: ${python.command}`);
  out.push('');
  out.push(
    ...markdownTable(
      [
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
      ],
      rows.map((r) => r.cells),
    ),
  );
  out.push('');

  // pull against the sequential tools doing the same work (issue 13's table)
  const pullRows = big
    .filter((r) => r.op === 'pull')
    .map((r) => {
      const l = limits.bySize[r.size];
      const nv = byOp('pull --no-verify', r.size);
      const py = l.python;
      return {
        size: r.size,
        vsCombined: r.sregistry / l.curlHashes.seconds,
        vsCurl: nv.sregistry / r.curl,
        vsPython: py ? r.sregistry / py.seconds : undefined,
        cells: [
          r.size,
          `${fmt(r.curl)} (${fmt(r.curlCpu)})`,
          `${fmt(l.curlHashes.seconds)} (${fmt(l.curlHashes.cpu)})`,
          py ? `${fmt(py.seconds)} (${fmt(py.cpu)})` : 'skipped',
          `${fmt(r.sregistry)} (${fmt(r.sregistryCpu)})`,
          `${fmt(r.sregistry / l.curlHashes.seconds)}x`,
          py ? `${fmt(r.sregistry / py.seconds)}x` : '-',
          `${fmt(nv.sregistry)} (${fmt(nv.sregistryCpu)})`,
          `${fmt(nv.sregistry / r.curl)}x`,
        ],
      };
    });
  out.push(
    ...markdownTable(
      [
        'size',
        'curl -o s (CPU)',
        'curl + md5 + sha256 s (CPU)',
        'python s (CPU)',
        'pull s (CPU)',
        'pull / curl+hashes',
        'pull / python',
        'pull --no-verify s (CPU)',
        'no-verify / curl',
      ],
      pullRows.map((r) => r.cells),
    ),
  );
  out.push('');

  const node = fixed.node;
  const startupRows = STARTUP.map((c) => ({ label: c.label, ratio: fixed[c.label].seconds / node.seconds, t: fixed[c.label] }));
  out.push(
    ...markdownTable(
      ['fixed cost', 'node -e 0 s (CPU)', 'sregistry s (CPU)', 'ratio', 'CPU ratio'],
      startupRows.map((r) => [
        r.label,
        `${fmt(node.seconds, 3)} (${fmt(node.cpu)})`,
        `${fmt(r.t.seconds, 3)} (${fmt(r.t.cpu)})`,
        `${fmt(r.ratio)}x`,
        node.cpu ? `${fmt(r.t.cpu / node.cpu)}x` : '-',
      ]),
    ),
  );
  out.push('');

  const verdict = (ok) => (ok ? 'met' : 'MISSED');
  out.push(
    `target pull (md5 + sha256) <= ${TARGETS.pull}x curl -o + openssl md5 + sha256: ${pullRows.map((r) => `${r.size} ${fmt(r.vsCombined)}x`).join(', ')} -> ${verdict(pullRows.every((r) => r.vsCombined <= TARGETS.pull))}`,
  );
  out.push(
    python.note
      ? `target pull <= ${TARGETS.python}x the Python original: skipped (${python.note})`
      : `target pull <= ${TARGETS.python}x the Python original: ${pullRows.map((r) => `${r.size} ${fmt(r.vsPython)}x`).join(', ')} -> ${verdict(pullRows.every((r) => r.vsPython <= TARGETS.python))}`,
  );
  out.push(
    `target pull --no-verify (sha256 only) <= ${TARGETS['pull --no-verify']}x curl -o: ${pullRows.map((r) => `${r.size} ${fmt(r.vsCurl)}x`).join(', ')} -> ${verdict(pullRows.every((r) => r.vsCurl <= TARGETS['pull --no-verify']))}`,
  );
  const pushes = big.filter((r) => r.op === 'push');
  out.push(
    `target push <= ${TARGETS.push}x curl: ${pushes.map((r) => `${r.size} ${fmt(r.ratio)}x (per-byte ${fmt(r.perByte)}x)`).join(', ')} -> ${verdict(pushes.every((r) => r.ratio <= TARGETS.push))}`,
  );
  out.push(
    `target fixed cost <= ${TARGETS.startup}x node -e 0: ${startupRows.map((r) => `${r.label} ${fmt(r.ratio)}x`).join(', ')} -> ${verdict(startupRows.every((r) => r.ratio <= TARGETS.startup))}`,
  );
  const rss = big.map((r) => r.rssMb);
  out.push(`target peak RSS <= ${TARGETS.rssMb} MB: max ${fmt(Math.max(...rss), 0)} MB -> ${verdict(Math.max(...rss) <= TARGETS.rssMb)}`);
  // "flat" = the same peak for a small and a big image; the 4 KiB row is the baseline (the CLI and its modules),
  // the first MiBs of streaming add V8's young generation and buffers in flight, which must not keep growing.
  for (const op of ['pull', 'push']) {
    const these = big.filter((r) => r.op === op).sort((a, b) => a.bytes - b.bytes);
    const base = `baseline at 4 KiB ${fmt(tiny[op].rssMb, 0)} MB`;
    if (these.length < 2) {
      out.push(`target RSS flat (${op}): needs two sizes; ${base}`);
      continue;
    }
    const growth = these.at(-1).rssMb - these[0].rssMb;
    out.push(
      `target RSS flat (${op}, ${these[0].size} -> ${these.at(-1).size}, within ${TARGETS.rssGrowthMb} MB): ${growth >= 0 ? '+' : ''}${fmt(growth, 0)} MB -> ${verdict(growth <= TARGETS.rssGrowthMb)}; ${base}`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
  if (opts.json)
    writeFileSync(
      opts.json,
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, rounds, limits, fixed, python: python.note ?? python.command, results: rows.map(({ cells, ...r }) => r) }, null, 2)}\n`,
    );
}
