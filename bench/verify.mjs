#!/usr/bin/env node
// Signature verification: `sregistry verify` of a SIF whose primary partition is 1 GiB of incompressible bytes,
// signed with an Ed25519 key (DSSE), against `sha256sum` of the same file, alternating which goes first. The
// verifier reads and hashes the objects once (SHA-256), so the target is at most 1.2x sha256sum's wall time. The
// file is read once before timing, so both sides read from the page cache.
//
//   node bench/verify.mjs [--rounds 5] [--gib 1] [--json out.json]
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { homeEnv } from './lib/home.mjs';
import { measure, median } from './lib/measure.mjs';
import { writeRandomFile } from './lib/random-file.mjs';
import { cpuMedian, fmt, machineLine, markdownTable } from './lib/report.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'packages', 'cli', 'bin', 'run.js');
const require = createRequire(path.join(ROOT, 'packages', 'core', 'package.json'));
const { readSif } = require(path.join(ROOT, 'packages', 'core', 'dist', 'sif', 'index.js'));
const { sampleSif } = require(path.join(ROOT, 'packages', 'testkit', 'dist', 'sif-writer.js'));

const { values: opts } = parseArgs({
  strict: false,
  options: { rounds: { type: 'string', default: '5' }, gib: { type: 'string', default: '1' }, json: { type: 'string' } },
});
const rounds = Number(opts.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds takes a positive integer, got ${opts.rounds}`);
const size = Math.round(Number(opts.gib) * 1024 ** 3);
const TARGET = 1.2;
const loadAtStart = os.loadavg();
const work = mkdtempSync(path.join(os.tmpdir(), 'sregistry-bench-verify-'));
const log = (line) => process.stderr.write(`${line}\n`);

try {
  const home = path.join(work, 'home');
  mkdirSync(home, { recursive: true });
  const env = homeEnv(home);
  const image = path.join(work, 'big.sif');
  log(`writing a SIF with a ${fmt(size / 1024 ** 3, 2)} GiB partition of random bytes`);
  await sampleSif(image, { partition: { data: { size }, fsType: 1, partType: 2, arch: 'amd64' } });
  const partition = (await readSif(image)).primaryPartition;
  await writeRandomFile(image, size, 9, { start: partition.offset });

  const keys = generateKeyPairSync('ed25519');
  const privateKey = path.join(work, 'private.pem');
  const publicKey = path.join(work, 'public.pem');
  writeFileSync(privateKey, keys.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  writeFileSync(publicKey, keys.publicKey.export({ format: 'pem', type: 'spki' }));
  await measure(process.execPath, [BIN, 'sign', image, '--key', privateKey], { env });

  const sides = {
    sha256sum: ['sha256sum', [image]],
    verify: [process.execPath, [BIN, 'verify', image, '--key', publicKey]],
  };
  // coreutils' sha256sum has no SHA extensions code; OpenSSL (what node:crypto uses) does: a second, stricter baseline
  if (existsSync('/usr/bin/openssl')) sides.openssl = ['/usr/bin/openssl', ['dgst', '-sha256', image]];
  await measure(...sides.sha256sum, { env }); // warm the page cache (and the CLI's compile cache)
  await measure(...sides.verify, { env });
  const names = Object.keys(sides);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const side of order) samples[side].push(await measure(...sides[side], { env }));
  }
  const wall = (side) => median(samples[side].map((s) => s.seconds));
  const cpu = (side) => cpuMedian(samples[side].map((s) => s.cpuSeconds));
  const rss = (side) => median(samples[side].map((s) => s.rssMb));
  const ratio = wall('verify') / wall('sha256sum');
  const result = {
    gib: size / 1024 ** 3,
    rounds,
    sha256sum: { seconds: wall('sha256sum'), cpuSeconds: cpu('sha256sum'), rssMb: rss('sha256sum') },
    verify: { seconds: wall('verify'), cpuSeconds: cpu('verify'), rssMb: rss('verify') },
    ...(sides.openssl ? { openssl: { seconds: wall('openssl'), cpuSeconds: cpu('openssl'), rssMb: rss('openssl') } } : {}),
    ratio,
    ratioToOpenssl: sides.openssl ? wall('verify') / wall('openssl') : undefined,
    target: TARGET,
    met: ratio <= TARGET,
  };
  console.log(`## verify of a signed SIF (${fmt(result.gib, 2)} GiB partition), median of ${rounds} rounds`);
  console.log(machineLine(loadAtStart));
  console.log('');
  for (const line of markdownTable(
    ['command', 'wall s', 'CPU s', 'peak RSS MiB'],
    [
      ['sha256sum big.sif (baseline)', fmt(result.sha256sum.seconds), fmt(result.sha256sum.cpuSeconds), fmt(result.sha256sum.rssMb, 0)],
      ...(result.openssl
        ? [['openssl dgst -sha256 big.sif', fmt(result.openssl.seconds), fmt(result.openssl.cpuSeconds), fmt(result.openssl.rssMb, 0)]]
        : []),
      ['sregistry verify big.sif --key public.pem', fmt(result.verify.seconds), fmt(result.verify.cpuSeconds), fmt(result.verify.rssMb, 0)],
    ],
  )) {
    console.log(line);
  }
  console.log('');
  console.log(`ratio verify / sha256sum (wall): ${fmt(ratio)}x -> target <= ${TARGET}x: ${result.met ? 'met' : 'NOT met'}`);
  if (result.openssl) console.log(`ratio verify / openssl dgst -sha256 (wall): ${fmt(result.ratioToOpenssl)}x (for reference)`);
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
