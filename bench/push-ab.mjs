#!/usr/bin/env node
// In-process A/B of a registry push's client work by two builds of packages/core: the registry's step 1, then
// uploadMultipart of the file with fileDigests(md5, sha256) running alongside, as the registry backend does, to the
// testkit registry (bench/lib/serve-registry.mjs, its own process). Rounds interleaved (which goes first
// alternates), after one untimed push of each. Reports wall, CPU of the whole process (process.cpuUsage(): the
// hash thread and libuv's pool included), the main thread's own CPU (/proc/self/task/<pid>/stat) and the server's,
// with medians. bench/receive-ab.mjs is the same for downloads.
//
//   node bench/push-ab.mjs --old /path/to/old/packages/core [--new packages/core] [--size 512] [--rounds 6]
//
// The old build needs its own dist/ and a node_modules next to it (a symlink to this checkout's packages/core
// node_modules will do).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { median } from './lib/measure.mjs';
import { writeRandomFile } from './lib/random-file.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const { signRequest } = require(path.join(ROOT, 'packages', 'testkit', 'dist', 'index.js'));
const { values: opts } = parseArgs({
  options: {
    old: { type: 'string' },
    new: { type: 'string', default: path.join(ROOT, 'packages', 'core') },
    size: { type: 'string', default: '512' },
    rounds: { type: 'string', default: '6' },
  },
});
if (!opts.old) throw new Error('give the build to compare with: --old /path/to/old/packages/core');
const variants = [
  ['old', opts.old],
  ['new', opts.new],
].map(([name, dir]) => {
  const dist = path.resolve(dir, 'dist');
  return {
    name,
    upload: require(path.join(dist, 'transfer', 'upload.js')),
    hash: require(path.join(dist, 'catalog', 'hash.js')),
    runs: [],
  };
});
const bytes = Number(opts.size) * 1024 * 1024;
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
/** CPU seconds of one thread (user + sys, clock ticks of 1/100 s). */
const threadCpu = (pid, tid) => {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

const work = mkdtempSync(path.join(os.tmpdir(), 'sregistry-ab-'));
let server;
try {
  const file = path.join(work, 'image.sif');
  await writeRandomFile(file, bytes, 7);
  const token = randomBytes(20).toString('hex');
  server = spawn(
    process.execPath,
    [path.join(ROOT, 'bench', 'lib', 'serve-registry.mjs'), path.join(work, 'registry'), token, `img=${file}`],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const registry = await new Promise((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`the registry server exited (${code}) before listening`)));
    createInterface({ input: server.stdout }).once('line', (line) => resolve(JSON.parse(line)));
  });
  const manifest = await (await fetch(`${registry.url}/api/container/bench/img:latest`)).json();
  console.log(`push A/B, ${opts.size} MiB, ${opts.rounds} interleaved rounds; old = ${opts.old}, new = ${opts.new}`);
  console.log(`load average ${load()} at the start`);
  // one untimed run of each first: module loading, the first threads, the page cache
  for (const v of variants) await push(v, registry, file, manifest);
  for (let round = 0; round < Number(opts.rounds); round++) {
    for (const v of round % 2 ? [...variants].reverse() : variants) {
      const run = await push(v, registry, file, manifest);
      v.runs.push(run);
      console.log(
        `round ${round + 1} ${v.name}: wall ${run.wall.toFixed(2)} s, CPU ${run.cpu.toFixed(2)} s (user ${run.user.toFixed(2)}, sys ${run.sys.toFixed(2)}), main thread ${run.main.toFixed(2)} s, server ${run.server.toFixed(2)} s`,
      );
    }
  }
  for (const v of variants) {
    const m = (key) => median(v.runs.map((r) => r[key])).toFixed(2);
    console.log(
      `median ${v.name}: wall ${m('wall')} s, CPU ${m('cpu')} s (user ${m('user')}, sys ${m('sys')}), main thread ${m('main')} s, server ${m('server')} s`,
    );
  }
  console.log(`load average ${load()} at the end`);
} finally {
  server?.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}

/** Runs `work` and measures it. */
async function measured(work) {
  const cpu0 = process.cpuUsage();
  const main0 = threadCpu(process.pid, process.pid);
  const started = performance.now();
  const extra = await work();
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    wall,
    cpu: (cpu.user + cpu.system) / 1e6,
    user: cpu.user / 1e6,
    sys: cpu.system / 1e6,
    main: threadCpu(process.pid, process.pid) - main0,
    ...extra,
  };
}

async function push(v, registry, file, manifest) {
  const tag = `ab-${v.name}`;
  const sign = (kind) => signRequest(kind, { username: registry.username, token: registry.token, collection: 'bench', name: 'img', tag });
  const step1 = await fetch(`${registry.url}/api/upload/chunked_upload`, {
    method: 'POST',
    headers: { Authorization: sign('push'), 'Content-Type': 'application/json' },
    body: JSON.stringify({ collection: 'bench', name: 'img', tag }),
  });
  const { cid } = await step1.json();
  const before = serverCpu();
  const run = await measured(async () => {
    const hashing = v.hash.fileDigests(file, ['md5', 'sha256']);
    const authorization = sign('upload');
    const answer = await v.upload.uploadMultipart({
      url: `${registry.url}/upload`,
      headers: { Authorization: authorization },
      fields: [
        { name: 'SREGISTRY_EVENT', value: authorization },
        { name: 'name', value: 'img' },
        { name: 'collection', value: String(cid) },
        { name: 'tag', value: tag },
      ],
      file: { field: 'file1', path: file, filename: `img:${tag}.sif`, contentType: 'text/plain' },
    });
    const digests = await hashing;
    if (answer.data?.message !== 'Upload Complete') throw new Error(`${v.name}: the upload answered ${JSON.stringify(answer.data)}`);
    if (digests.md5 !== manifest.version) throw new Error(`${v.name}: md5 ${digests.md5}, the file's ${manifest.version}`);
    return {};
  });
  return { ...run, server: serverCpu() - before };
}

/** The server process's CPU seconds so far (all its threads). */
function serverCpu() {
  const stat = readFileSync(`/proc/${server.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
