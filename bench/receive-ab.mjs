#!/usr/bin/env node
// In-process A/B of core's downloadToFile: two builds of packages/core (e.g. a copy of main's dist and this
// checkout's) download the same image in one process, rounds interleaved (which goes first alternates), from a
// node:http server in a child process (so its CPU is not counted). Reports wall, CPU of the whole process
// (process.cpuUsage(): the hash threads and libuv's pool included) and the main thread's own CPU, with medians.
//
//   node bench/receive-ab.mjs --old /path/to/old/packages/core [--new packages/core] [--size 512] [--rounds 4]
//                             [--hashes sha256|sha256+md5]
//
// The old build needs its own dist/ and a node_modules next to it (a symlink to this checkout's packages/core
// node_modules will do).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    old: { type: 'string' },
    new: { type: 'string', default: path.join(import.meta.dirname, '..', 'packages', 'core') },
    size: { type: 'string', default: '512' },
    rounds: { type: 'string', default: '4' },
    hashes: { type: 'string', default: 'sha256' },
    serve: { type: 'string' },
  },
});

if (values.serve) {
  // the child: serves the file with a Content-Length, read in 1 MiB pieces
  const file = values.serve;
  const size = fs.statSync(file).size;
  http
    .createServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': size, 'Content-Type': 'application/octet-stream' });
      fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
    })
    .listen(0, '127.0.0.1', function () {
      process.stdout.write(`${this.address().port}\n`);
    });
} else {
  if (!values.old) throw new Error('--old <packages/core of the other build> is required');
  const require = createRequire(import.meta.url);
  const load = (root) => require(path.resolve(root, 'dist', 'transfer', 'download.js')).downloadToFile;
  const variants = { old: load(values.old), new: load(values.new) };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'receive-ab-'));
  try {
    const image = path.join(dir, 'image.bin');
    const piece = randomBytes(1 << 20);
    const fd = fs.openSync(image, 'w');
    for (let i = 0; i < Number(values.size); i++) fs.writeSync(fd, piece);
    fs.closeSync(fd);
    const server = spawn(process.execPath, [import.meta.filename, '--serve', image], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise((resolve) => server.stdout.once('data', (d) => resolve(String(d).trim())));
    // utime + stime of the main thread, in clock ticks (100 a second)
    const mainCpu = () => {
      const fields = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    };
    const results = { old: [], new: [] };
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const name of round % 2 ? ['new', 'old'] : ['old', 'new']) {
        const dest = path.join(dir, `out-${name}.bin`);
        const main0 = mainCpu();
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const lines = [];
        await variants[name]({ url: `http://127.0.0.1:${port}/img`, dest, hashes: values.hashes.split('+'), debug: (l) => lines.push(l) });
        const wall = (performance.now() - t0) / 1000;
        const used = process.cpuUsage(cpu0);
        const row = { wall, cpu: (used.user + used.system) / 1e6, main: mainCpu() - main0 };
        results[name].push(row);
        const path_ = lines.some((l) => l.endsWith('(direct socket)')) ? 'direct socket' : 'axios';
        console.log(
          `${name} round ${round}: wall ${row.wall.toFixed(2)} s, CPU ${row.cpu.toFixed(2)} s, main thread ${row.main.toFixed(2)} s (${path_})`,
        );
        fs.rmSync(dest);
      }
    }
    server.kill();
    const median = (xs) => {
      const s = [...xs].sort((a, b) => a - b);
      const m = s.length >> 1;
      return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
    };
    for (const name of ['old', 'new']) {
      const of = (key) => median(results[name].map((r) => r[key])).toFixed(2);
      console.log(`${name} ${values.hashes}: median wall ${of('wall')} s, CPU ${of('cpu')} s, main thread ${of('main')} s`);
    }
    console.log(
      `load average: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
