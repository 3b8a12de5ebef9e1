// A SIF whose one partition is incompressible random bytes (random-file.mjs), for benches whose client refuses
// bytes that are not an image (an oras:// SIF layer must be a SIF). The header and descriptors add a few KiB.
import { createRequire } from 'node:module';
import path from 'node:path';
import { writeRandomFile } from './random-file.mjs';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const require = createRequire(path.join(ROOT, 'packages', 'core', 'package.json'));
const { readSif } = require(path.join(ROOT, 'packages', 'core', 'dist', 'sif', 'index.js'));
const { sampleSif } = require(path.join(ROOT, 'packages', 'testkit', 'dist', 'sif-writer.js'));

/** Writes `file`: a SIF with a squashfs partition of `size` random bytes (seeded), streamed, never in memory. */
export async function writeRandomSif(file, size, seed = 1) {
  await sampleSif(file, { partition: { data: { size }, fsType: 1, partType: 2, arch: 'amd64' } });
  const partition = (await readSif(file)).primaryPartition;
  await writeRandomFile(file, size, seed, { start: partition.offset });
  return file;
}
