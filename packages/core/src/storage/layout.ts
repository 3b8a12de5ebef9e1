import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

export { DEFAULT_TEMP_MAX_AGE_MS, JOURNAL_DIR_NAME, SWEEP_MARKER_NAME, TEMP_DIR_NAME } from './names';

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
/** what follows `.<file>.` in a beside temp: the `.part`, or the `.unpacked` file `--gunzip` makes from it */
const BESIDE_TEMP_REST = /^([0-9a-f]{8})\.(\d+)\.[0-9a-f]+\.part(?:\.[0-9a-f]+\.unpacked)?$/;

/** `<hint>.<host tag>.<pid>.<random>.part`: a download in progress in `.tmp/`. */
export function downloadTempName(hint: string, pid: number, random: string): string {
  return `${hint}.${HOST_TAG}.${pid}.${random}.part`;
}

/** True when a `.tmp/` file belongs to a process of this host that is no longer running. */
export function ownedByDeadProcess(fileName: string): boolean {
  const m = OWNED_TEMP.exec(fileName);
  return m !== null && isDeadProcessOfThisHost(m[1]!, Number(m[2]));
}

/**
 * `.<file>.<host tag>.<pid>.<random>.part` beside `dest`: a download written next to a destination outside the
 * storage folder (`pull --name`, `--no-cache`), so the final rename stays on one file system.
 */
export function besideTempName(dest: string, pid: number, random: string): string {
  return path.join(path.dirname(dest), `.${path.basename(dest)}.${HOST_TAG}.${pid}.${random}.part`);
}

/**
 * Whether `fileName` (in the folder of `dest`) is a temp file a download to `dest` left behind and its process is
 * gone: the `.part` itself, or the `.unpacked` file `--gunzip` makes from it.
 */
export function isStaleBesideTemp(dest: string, fileName: string): boolean {
  const own = `.${path.basename(dest)}.`;
  const rest = fileName.startsWith(own)
    ? fileName.slice(own.length)
    : fileName.startsWith(`.${own}`)
      ? fileName.slice(own.length + 1)
      : undefined;
  const m = rest === undefined ? null : BESIDE_TEMP_REST.exec(rest);
  return m !== null && isDeadProcessOfThisHost(m[1]!, Number(m[2]));
}

function isDeadProcessOfThisHost(hostTag: string, pid: number): boolean {
  // on storage shared between machines only the owner's host can tell whether the owner still runs
  if (hostTag !== HOST_TAG || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** True for every name a temp file of ours has (a file the user names so could be deleted as a leftover). */
export function isTempFileName(fileName: string): boolean {
  return isPlaceTemp(fileName) || OWNED_TEMP.test(fileName) || /\.[0-9a-f]+\.unpacked$/.test(fileName);
}
