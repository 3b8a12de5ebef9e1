// Runs one command and measures its wall time, CPU time and peak resident memory. Peak RSS and CPU come from GNU
// time (%M = the kernel's ru_maxrss, %U + %S) when /usr/bin/time exists; else RSS is polled from
// /proc/<pid>/status VmHWM and CPU is not reported. CPU seconds matter on a shared machine: they barely move
// with the load, while wall time does.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const GNU_TIME = '/usr/bin/time';
const hasGnuTime = existsSync(GNU_TIME);

/** { seconds, cpuSeconds, rssMb, stdout, stderr }; rejects when the command fails, since a failed run measures nothing. */
export function measure(command, args, { env, cwd } = {}) {
  const rssFile = path.join(os.tmpdir(), `bench-rss-${process.pid}-${Math.random().toString(16).slice(2)}`);
  const [file, argv] = hasGnuTime ? [GNU_TIME, ['-f', '%M %U %S', '-o', rssFile, command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, argv, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let polledKb = 0;
    const poll = hasGnuTime
      ? undefined
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) polledKb = Math.max(polledKb, Number(m[1]));
          } catch {
            // the process just ended
          }
        }, 20);
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (poll) clearInterval(poll);
      let rssKb = polledKb;
      let cpuSeconds;
      if (hasGnuTime && existsSync(rssFile)) {
        const [kb, user, sys] = readFileSync(rssFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
        rssKb = kb;
        cpuSeconds = user + sys;
        rmSync(rssFile, { force: true });
      }
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim() || stdout.trim()}`));
      resolve({ seconds, cpuSeconds, rssMb: rssKb / 1024, stdout, stderr });
    });
  });
}

export const rssSource = hasGnuTime ? 'GNU time %M (ru_maxrss)' : '/proc/<pid>/status VmHWM, polled every 20 ms';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
