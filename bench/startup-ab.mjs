#!/usr/bin/env node
// A/B of the fixed costs (issue 13: each <= 3x `node -e 0`) of two checkouts' CLIs in one run: `node -e 0`, a
// 4 KiB pull, `--help`, `backend status` and `search`, as bench/transfer.mjs times them, against one testkit
// registry server; each checkout in a throw-away HOME of its own with its own registry plugin linked. Rounds
// interleave commands and checkouts, the order reversed every other round; medians are reported. CPU is the child's
// own (user + sys of all its threads, `process.cpuUsage()` written at exit by a preload), to the microsecond, where
// GNU time gives 10 ms; wall is spawn to close.
//
//   node bench/startup-ab.mjs --old /path/to/old/checkout [--new .] [--rounds 11]
//
// Both checkouts must be built (bash scripts/bootstrap.sh).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { registryEnv } from './lib/home.mjs';
import { median } from './lib/measure.mjs';
import { fmt, machineLine, markdownTable } from './lib/report.mjs';

const { values } = parseArgs({
  options: {
    old: { type: 'string' },
    new: { type: 'string', default: path.resolve(import.meta.dirname, '..') },
    rounds: { type: 'string', default: '11' },
  },
});
if (!values.old) throw new Error('--old <checkout> is required: the build to compare with');
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds takes a positive integer, got ${values.rounds}`);

const COMMANDS = [
  { label: '4 KiB pull', args: ['pull', '--quiet', '--json', 'bench/tiny:latest'], undo: ['rmi', 'bench/tiny:latest'] },
  { label: '--help', args: ['--help'] },
  { label: 'backend status', args: ['backend', 'status'] },
  { label: 'search bench', args: ['search', 'bench'] },
];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-startup-ab-'));
const cpuPreload = path.join(work, 'cpu-at-exit.cjs');
const loadAtStart = os.loadavg();
let server;

try {
  await main();
} finally {
  server?.kill('SIGTERM');
  fs.rmSync(work, { recursive: true, force: true });
}

async function main() {
  // the child's whole CPU, written as it exits (the preload adds one tiny require to both sides alike)
  fs.writeFileSync(
    cpuPreload,
    "process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeFileSync(process.env.CPU_TO, String(u.user + u.system)); });\n",
  );
  const image = path.join(work, 'tiny.sif');
  fs.writeFileSync(image, randomBytes(4096));
  const registry = await startServer(path.join(work, 'registry'), randomBytes(20).toString('hex'), image);
  const sides = [];
  for (const [label, checkout] of [
    ['old', path.resolve(values.old)],
    ['new', path.resolve(values.new)],
  ]) {
    sides.push({ label, bin: path.join(checkout, 'packages', 'cli', 'bin', 'run.js'), cli: await cliHome(label, checkout, registry) });
  }
  const times = new Map();
  const add = (key, run) => {
    if (!times.has(key)) times.set(key, { wall: [], cpu: [] });
    times.get(key).wall.push(run.wall);
    times.get(key).cpu.push(run.cpu);
  };
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 ? sides : [...sides].reverse();
    const commands = round % 2 ? COMMANDS : [...COMMANDS].reverse();
    for (const side of order) add(`${side.label} node -e 0`, await timed(process.execPath, ['-e', '0'], side.cli));
    for (const command of commands) {
      for (const side of order) {
        add(`${side.label} ${command.label}`, await timed(process.execPath, [side.bin, ...command.args], side.cli));
        if (command.undo) await timed(process.execPath, [side.bin, ...command.undo], side.cli);
      }
    }
    process.stderr.write(`round ${round}/${rounds} done\n`);
  }
  const med = (key) => ({ wall: median(times.get(key).wall), cpu: median(times.get(key).cpu) });
  const rows = [{ label: 'node -e 0' }, ...COMMANDS].map(({ label }) => {
    const [o, n] = ['old', 'new'].map((side) => med(`${side} ${label}`));
    const [on, nn] = ['old', 'new'].map((side) => med(`${side} node -e 0`));
    return [
      label,
      `${fmt(o.wall * 1000, 1)} (${fmt(o.wall / on.wall)}x)`,
      `${fmt(o.cpu * 1000, 1)} (${fmt(o.cpu / on.cpu)}x)`,
      `${fmt(n.wall * 1000, 1)} (${fmt(n.wall / nn.wall)}x)`,
      `${fmt(n.cpu * 1000, 1)} (${fmt(n.cpu / nn.cpu)}x)`,
      label === 'node -e 0' ? '' : `${fmt((n.cpu / o.cpu - 1) * 100, 0)} %`,
    ];
  });
  const out = [
    `sregistry start-up A/B — ${new Date().toISOString()}`,
    machineLine(loadAtStart),
    `command: node bench/startup-ab.mjs --old ${values.old} --new ${values.new} --rounds ${rounds}; medians of ${rounds} interleaved rounds; ratios to the same side's node -e 0`,
    '',
    ...markdownTable(['fixed cost', 'old wall ms', 'old CPU ms', 'new wall ms', 'new CPU ms', 'CPU change'], rows),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

/** One run: wall seconds and the child's CPU seconds; rejects when it fails. */
function timed(command, args, { env, cwd }) {
  const cpuFile = path.join(work, `cpu-${process.hrtime.bigint()}`);
  const options = `${env.NODE_OPTIONS ?? ''} --require ${cpuPreload}`.trim();
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      env: { ...env, NODE_OPTIONS: options, CPU_TO: cpuFile },
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = (performance.now() - started) / 1000;
      if (code !== 0) return reject(new Error(`${args.join(' ')} exited ${code}: ${stderr.trim()}`));
      const cpu = Number(fs.readFileSync(cpuFile, 'utf8')) / 1e6;
      fs.rmSync(cpuFile);
      resolve({ wall, cpu });
    });
  });
}

/** bench/lib/serve-registry.mjs with the one image as bench/tiny:latest. */
function startServer(dataDir, token, image) {
  const script = path.join(import.meta.dirname, 'lib', 'serve-registry.mjs');
  server = spawn(process.execPath, [script, dataDir, token, `tiny=${image}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`the registry server exited (${code}) before listening`)));
    createInterface({ input: server.stdout }).once('line', (line) => resolve(JSON.parse(line)));
  });
}

/** A HOME with the registry's secrets and the checkout's registry plugin linked, as bench/transfer.mjs makes it. */
async function cliHome(label, checkout, registry) {
  const home = path.join(work, `home-${label}`);
  fs.mkdirSync(path.join(home, 'work'), { recursive: true });
  const env = registryEnv(home, registry);
  const cli = { env, cwd: path.join(home, 'work') };
  const bin = path.join(checkout, 'packages', 'cli', 'bin', 'run.js');
  await timed(process.execPath, [bin, 'plugins', 'link', path.join(checkout, 'packages', 'backend-registry'), '--no-install'], cli);
  // one untimed run of each command fills the compile cache, as every later run of an installed CLI finds it
  for (const command of COMMANDS) {
    await timed(process.execPath, [bin, ...command.args], cli);
    if (command.undo) await timed(process.execPath, [bin, ...command.undo], cli);
  }
  return cli;
}
