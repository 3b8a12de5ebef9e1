import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

export { DEFAULT_TEMP_MAX_AGE_MS, JOURNAL_DIR_NAME, TEMP_DIR_NAME } from './names';

/** Temp files written next to a destination end like this, so cleaning can recognise them anywhere. */
const PLACE_TEMP = /\.sregistry-\d+-[0-9a-f]+\.tmp$/;

export function placeTempName(dest: string, pid: number, random: string): string {
  return path.join(path.dirname(dest), `.${path.basename(dest)}.sregistry-${pid}-${random}.tmp`);
}

export function isPlaceTemp(fileName: string): boolean {
  return fileName.startsWith('.') && PLACE_TEMP.test(fileName);
}

/** True when `child` is `root` itself or lies below it (both absolute). */
export function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** A short tag of this host, so a temp file's owner can be recognised on storage shared between machines. */
export const HOST_TAG = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
const OWNED_TEMP = /\.([0-9a-f]{8})\.(\d+)\.[0-9a-f]+\.part$/;

/** `<hint>.<host tag>.<pid>.<random>.part`: a download in progress in `.tmp/`. */
export function downloadTempName(hint: string, pid: number, random: string): string {
  return `${hint}.${HOST_TAG}.${pid}.${random}.part`;
}

/** True when a `.tmp/` file belongs to a process of this host that is no longer running. */
export function ownedByDeadProcess(fileName: string): boolean {
  const m = OWNED_TEMP.exec(fileName);
  if (!m || m[1] !== HOST_TAG) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
