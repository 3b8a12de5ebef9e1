// What every benchmark prints: the machine line, aligned markdown tables and number formats.
import os from 'node:os';
import { median } from './measure.mjs';

/** Median CPU seconds, or undefined when a sample lacks them (CPU time needs GNU time). */
export function cpuMedian(values) {
  return values.some((v) => v === undefined) ? undefined : median(values);
}

export function fmt(n, digits = 2) {
  return n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits);
}

function loads(averages) {
  return averages.map((l) => l.toFixed(2)).join('/');
}

/** Node, CPUs, memory and the load average at the start and now: the figures mean little without them. */
export function machineLine(loadAtStart) {
  return `node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, load average ${loads(loadAtStart)} at the start, ${loads(os.loadavg())} at the end`;
}

/** A markdown table with padded columns. */
export function markdownTable(header, rows) {
  const lines = [header, header.map((h) => '-'.repeat(h.length)), ...rows];
  const widths = header.map((_, i) => Math.max(...lines.map((l) => String(l[i]).length)));
  return lines.map((l) => `| ${l.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`);
}
