#!/usr/bin/env node
// oras:// benchmark: `sregistry pull`/`push` against curl on the same blob URLs, side by side in one run, on a real
// Distribution registry (Debian's docker-registry, testkit's startDistribution, htpasswd auth, plain http on
// 127.0.0.1). Rounds alternate which tool goes first; medians are reported.
//
//   node bench/oras.mjs [--sizes 512] [--rounds 3] [--json results.json]
//
// curl pull  = GET of the blob URL with the same Basic auth into a file (no challenge, no manifest, no hashing, no
//              fsync, no catalogue): the same bytes over the same connection type, the least a pull can do.
// curl push  = POST of an upload session + one streamed PUT ?digest= of the file (-T); the digest is computed
//              beforehand and not timed. sregistry hashes the file (on a thread, while the upload streams: the
//              digest is needed for the duplicate check and the closing PUT), sends it in one streamed PATCH, then
//              the closing PUT, the config blob and the manifest; the blob is deleted on the registry after every
//              push (untimed) so that no push is skipped as a duplicate.
// sregistry  = the built CLI in a throw-away HOME with the oras plugin linked, --quiet, oclif's auto-transpile of
//              linked plugins off.
// Limits, printed before the ratios: one core's sha256 time for the image (node:crypto), the fsync of a just
// written copy of it (sregistry fsyncs a pulled image before cataloguing it; curl does not), and from those the
// floor of each operation on this machine: the 4 KiB command's fixed cost, plus the transfer or the hash, whichever
// is slower (they overlap), plus, for a pull, the fsync.
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { homeEnv } from './lib/home.mjs';
import { cpuHasShaExtensions, hashRate } from './lib/limits.mjs';
import { measure, median, rssSource } from './lib/measure.mjs';
import { writeRandomSif } from './lib/random-sif.mjs';
import { fmt, machineLine, markdownTable } from './lib/report.mjs';
import { expectSize, newSamples, recordRun, resultRow } from './lib/samples.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'packages', 'cli', 'bin', 'run.js');
const PLUGINS = ['backend-oras'].map((p) => path.join(ROOT, 'packages', p));
const require = createRequire(import.meta.url);
const { startDistribution } = require(path.join(ROOT, 'packages', 'testkit', 'dist', 'index.js'));

const TARGETS = { pull: 1.2, push: 1.3, rssMb: 150 };
const MiB = 1024 * 1024;
const TINY = 4096;
const USER = 'bench';
const PASSWORD = 'bench-password';

const { values: opts } = parseArgs({
  options: { sizes: { type: 'string', default: '512' }, rounds: { type: 'string', default: '3' }, json: { type: 'string' } },
});
const sizesMiB = opts.sizes.split(',').map((s) => Number(s.trim()));
if (sizesMiB.some((s) => !(s > 0))) throw new Error(`--sizes takes MiB numbers like 64,512, got ${opts.sizes}`);
const rounds = Number(opts.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds takes a positive integer, got ${opts.rounds}`);

const work = mkdtempSync(path.join(os.tmpdir(), 'sregistry-bench-oras-'));
const log = (line) => process.stderr.write(`${line}\n`);
const loadAtStart = os.loadavg();
let registry;

try {
  await main();
} finally {
  await registry?.close();
  rmSync(work, { recursive: true, force: true });
}

async function sha256(file) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: MiB })) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}

async function main() {
  const images = [
    { label: '4 KiB', name: 'tiny', bytes: TINY },
    ...sizesMiB.map((m) => ({ label: `${m} MiB`, name: `img${m}`, bytes: m * MiB })),
  ];
  mkdirSync(path.join(work, 'files'));
  for (const [i, image] of images.entries()) {
    image.file = path.join(work, 'files', `${image.name}.sif`);
    // a SIF: the client refuses a SIF layer whose bytes are not one
    log(`writing a SIF of ${image.label} of random bytes`);
    await writeRandomSif(image.file, image.bytes, i + 1);
    image.size = statSync(image.file).size;
    image.digest = await sha256(image.file);
  }
  const limits = { sha256: hashRate('sha256'), shaExtensions: cpuHasShaExtensions(), fsync: {} };
  registry = await startDistribution({ auth: 'htpasswd', users: { [USER]: PASSWORD } });
  log(`registry listening on ${registry.url}`);
  const cli = await cliHome();
  const auth = ['-u', `${USER}:${PASSWORD}`];

  const results = [];
  for (const image of images) {
    const ref = `oras://${registry.host}/bench/${image.name}:latest`;
    const blobUrl = `${registry.url}/v2/bench/${image.name}/blobs/${image.digest}`;
    const dropBlob = () => measure('curl', ['-s', '-f', '-o', '/dev/null', ...auth, '-X', 'DELETE', blobUrl]);
    const samples = { pull: newSamples(), push: newSamples() };
    const fsyncs = [];
    // one sregistry push (untimed) so the pulls have a manifest
    await measure(process.execPath, [BIN, 'push', '--quiet', image.file, '--name', ref], cli);
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 ? ['curl', 'sregistry'] : ['sregistry', 'curl'];
      for (const tool of order) {
        if (tool === 'curl') {
          const out = path.join(cli.cwd, `${image.name}.curl`);
          recordRun(samples.pull, tool, await measure('curl', ['-s', '-f', ...auth, '-o', out, blobUrl]));
          expectSize(out, image.size, 'curl pull');
          rmSync(out);
        } else {
          const run = await measure(process.execPath, [BIN, 'pull', '--quiet', '--json', ref], cli);
          expectSize(JSON.parse(run.stdout).path, image.size, 'sregistry pull');
          recordRun(samples.pull, tool, run);
          await measure(process.execPath, [BIN, 'rmi', `bench/${image.name}:latest`], cli);
        }
      }
      for (const tool of order) {
        await dropBlob();
        if (tool === 'curl') {
          const started = await measure('curl', [
            '-s',
            '-f',
            '-D',
            '-',
            '-o',
            '/dev/null',
            ...auth,
            '-X',
            'POST',
            `${registry.url}/v2/bench/${image.name}/blobs/uploads/`,
          ]);
          const location = new URL(/^location: (.+)$/im.exec(started.stdout)[1].trim(), registry.url);
          location.searchParams.set('digest', image.digest);
          const put = await measure('curl', [
            '-s',
            '-f',
            '-o',
            '/dev/null',
            ...auth,
            '-H',
            'Content-Type: application/octet-stream',
            '-T',
            image.file,
            location.href,
          ]);
          recordRun(samples.push, tool, {
            seconds: started.seconds + put.seconds,
            cpuSeconds: sum(started.cpuSeconds, put.cpuSeconds),
            rssMb: put.rssMb,
          });
        } else {
          const run = await measure(process.execPath, [BIN, 'push', '--quiet', '--json', image.file, '--name', ref], cli);
          const pushed = JSON.parse(run.stdout);
          if (pushed.details?.blobUploaded !== true) throw new Error(`sregistry push did not upload: ${run.stdout}`);
          recordRun(samples.push, tool, run);
        }
      }
      if (image.bytes !== TINY) fsyncs.push(fsyncTime(image.file, path.join(work, 'fsync.out')));
      log(
        `${image.label} round ${round}: pull curl ${fmt(samples.pull.curl.at(-1))} s / sregistry ${fmt(samples.pull.sregistry.at(-1))} s, push curl ${fmt(samples.push.curl.at(-1))} s / sregistry ${fmt(samples.push.sregistry.at(-1))} s`,
      );
    }
    for (const op of ['pull', 'push']) results.push(resultRow(image, op, samples[op]));
    if (fsyncs.length) limits.fsync[image.label] = median(fsyncs);
  }
  report(results, limits);
}

/**
 * Seconds of the fsync of a fresh copy of `source` written in 128 KiB writes, as a pull writes the image (its pages
 * dirty in the page cache). Not copyFileSync: the kernel's in-place copy left little to sync (0.03-0.2 s).
 */
function fsyncTime(source, out) {
  const buffer = Buffer.allocUnsafe(128 * 1024);
  const from = openSync(source, 'r');
  const fd = openSync(out, 'w');
  for (let at = 0; ; ) {
    const n = readSync(from, buffer, 0, buffer.length, at);
    if (n === 0) break;
    writeSync(fd, buffer, 0, n);
    at += n;
  }
  closeSync(from);
  const started = performance.now();
  fsyncSync(fd);
  const seconds = (performance.now() - started) / 1000;
  closeSync(fd);
  rmSync(out);
  return seconds;
}

function sum(a, b) {
  return a === undefined || b === undefined ? undefined : a + b;
}

async function cliHome() {
  const home = path.join(work, 'home');
  mkdirSync(path.join(home, '.docker'), { recursive: true });
  writeFileSync(
    path.join(home, '.docker', 'config.json'),
    JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }),
    { mode: 0o600 },
  );
  const env = {
    ...homeEnv(home),
    SREGISTRY_ORAS_NOHTTPS: 'true',
    NODE_OPTIONS: `--require ${path.join(import.meta.dirname, 'lib', 'no-autotranspile.cjs')}`,
  };
  const cwd = path.join(home, 'work');
  mkdirSync(cwd);
  for (const plugin of PLUGINS) await measure(process.execPath, [BIN, 'plugins', 'link', plugin, '--no-install'], { env, cwd });
  return { env, cwd };
}

function report(results, limits) {
  const rows = results.map((r) => ({ ...r, ratio: r.sregistry / r.curl }));
  const table = markdownTable(
    ['size', 'op', 'curl s', 'sregistry s', 'ratio', 'curl CPU s', 'sregistry CPU s', 'peak RSS MB'],
    rows.map((r) => [
      r.size,
      r.op,
      fmt(r.curl),
      fmt(r.sregistry),
      `${fmt(r.ratio)}x`,
      fmt(r.curlCpu),
      fmt(r.sregistryCpu),
      fmt(r.rssMb, 0),
    ]),
  );
  const out = [`sregistry oras:// benchmark — ${new Date().toISOString()}`, machineLine(loadAtStart)];
  out.push(
    `command: node bench/oras.mjs --sizes ${sizesMiB.join(',')} --rounds ${rounds}; medians of ${rounds} alternating rounds; RSS: ${rssSource}, max over rounds`,
  );
  // the limits first: no pipeline beats its slowest stage, and no command its fixed cost
  out.push(
    `limit: one core hashes sha256 at ${fmt(limits.sha256, 0)} MiB/s (node:crypto, 64 MiB, best of 3; SHA extensions: ${limits.shaExtensions ?? 'none'})`,
  );
  const tiny = Object.fromEntries(rows.filter((r) => r.bytes === TINY).map((r) => [r.op, r]));
  for (const r of rows.filter((x) => x.bytes !== TINY)) {
    const sha = r.bytes / MiB / limits.sha256;
    const fixed = tiny[r.op].sregistry;
    const fsync = r.op === 'pull' ? limits.fsync[r.size] : 0;
    const floor = fixed + Math.max(r.curl, sha) + fsync;
    out.push(
      `limit ${r.size} ${r.op}: curl ${fmt(r.curl)} s, sha256 alone ${fmt(sha)} s${r.op === 'pull' ? `, fsync ${fmt(fsync)} s` : ''}, the 4 KiB ${r.op} ${fmt(fixed)} s -> floor >= ${fmt(floor)} s = ${fmt(floor / r.curl)}x curl (sregistry ${fmt(r.sregistry)} s = ${fmt(r.sregistry / floor)}x the floor)`,
    );
  }
  out.push('', ...table, '');
  const big = rows.filter((r) => r.bytes !== TINY);
  const verdict = (ok) => (ok ? 'met' : 'MISSED');
  for (const op of ['pull', 'push']) {
    const these = big.filter((r) => r.op === op);
    out.push(
      `target ${op} <= ${TARGETS[op]}x curl: ${these.map((r) => `${r.size} ${fmt(r.ratio)}x`).join(', ')} -> ${verdict(these.every((r) => r.ratio <= TARGETS[op]))}`,
    );
  }
  const rss = Math.max(...big.map((r) => r.rssMb));
  out.push(`target peak RSS <= ${TARGETS.rssMb} MB: max ${fmt(rss, 0)} MB -> ${verdict(rss <= TARGETS.rssMb)}`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (opts.json)
    writeFileSync(
      opts.json,
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds, limits, results: rows }, null, 2)}\n`,
    );
}
