// The samples a transfer benchmark keeps per operation (curl against sregistry), and the result row made of them.
import { statSync } from 'node:fs';
import { median } from './measure.mjs';
import { cpuMedian } from './report.mjs';

export function newSamples() {
  return { curl: [], sregistry: [], curlCpu: [], sregistryCpu: [], rss: [] };
}

/** One timed run of `tool` ('curl' or 'sregistry'); peak RSS is kept for sregistry only. */
export function recordRun(samples, tool, run) {
  samples[tool].push(run.seconds);
  samples[`${tool}Cpu`].push(run.cpuSeconds);
  if (tool === 'sregistry') samples.rss.push(run.rssMb);
}

/** Medians of one operation's samples at one size, as every transfer report prints them. */
export function resultRow(image, op, samples) {
  return {
    size: image.label,
    bytes: image.bytes,
    op,
    curl: median(samples.curl),
    sregistry: median(samples.sregistry),
    curlCpu: cpuMedian(samples.curlCpu),
    sregistryCpu: cpuMedian(samples.sregistryCpu),
    rssMb: Math.max(...samples.rss),
    samples,
  };
}

/** A transfer that wrote the wrong number of bytes makes its timing meaningless: stop the bench. */
export function expectSize(file, bytes, what) {
  const size = statSync(file).size;
  if (size !== bytes) throw new Error(`${what} wrote ${size} bytes, expected ${bytes}`);
}
