#!/usr/bin/env node
// Self time by function from a V8 .cpuprofile (what `node --cpu-prof` writes), the way the transfer figures in
// docs/performance.md were broken down:  node bench/lib/cpuprofile-summary.mjs CPU.*.cpuprofile [top N]
import fs from 'node:fs';

const [file, top = '20'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: cpuprofile-summary.mjs <file.cpuprofile> [top N]\n');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
profile.samples.forEach((id, i) => {
  const { functionName, url, lineNumber } = nodes.get(id).callFrame;
  const where = url.replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '').replace(/^file:\/\/\//, '/');
  const key = `${functionName || '(anonymous)'} ${where}${lineNumber >= 0 ? `:${lineNumber + 1}` : ''}`;
  self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
});
process.stdout.write(`profile ${((profile.endTime - profile.startTime) / 1000).toFixed(0)} ms; self time (ms):\n`);
for (const [key, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
  process.stdout.write(`${ms.toFixed(0).padStart(7)}  ${key}\n`);
}
