// The machine's limits, printed before any ratio: what one core hashes per second (md5, sha256), what a plain
// write of the image costs, and whether the Python original is installed. A pipeline cannot beat its slowest
// sequential stage; these say where that floor is on this machine, under this run's load.

import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { measure } from './measure.mjs';

const MiB = 1024 * 1024;
const HASH_PROBE_BYTES = 64 * MiB;

/** MiB/s of one digest on one core: node:crypto (OpenSSL, SHA extensions when the CPU has them) on 64 MiB, best of 3. */
export function hashRate(name) {
  const data = randomBytes(HASH_PROBE_BYTES);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const started = process.hrtime.bigint();
    createHash(name).update(data).digest();
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e9);
  }
  return HASH_PROBE_BYTES / MiB / best;
}

/** Whether the CPU advertises SHA extensions (sha_ni on x86, sha2 on arm64). */
export function cpuHasShaExtensions() {
  const r = spawnSync('grep', ['-m1', '-owE', 'sha_ni|sha2', '/proc/cpuinfo'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** A write of `source` (in the page cache) to a new file with fsync, by dd: the disk stage on its own. */
export async function diskWrite(source, out) {
  const run = await measure('dd', [`if=${source}`, `of=${out}`, 'bs=1M', 'conv=fsync', 'status=none']);
  rmSync(out, { force: true });
  return run;
}

/**
 * The Python original (sregistry-cli), if installed: `sregistry` on PATH that is a Python program. Returns the
 * command, or a note saying why its column is skipped.
 */
export function pythonOriginal() {
  const which = spawnSync('sh', ['-c', 'command -v sregistry'], { encoding: 'utf8' });
  const file = which.stdout.trim();
  if (which.status === 0 && file) {
    const head = spawnSync('head', ['-c', '200', file], { encoding: 'utf8' }).stdout ?? '';
    if (/python/i.test(head)) return { command: file };
  }
  return { note: 'the Python original (sregistry-cli) is not installed here (no PyPI access): its column is skipped' };
}
