/**
 * Every temporary file sregistry makes, under one naming scheme and one staleness rule.
 *
 *   `.<base>.sregistry-<host tag>-<pid>-<token>.tmp`
 *
 * `base` is the file the temp becomes (a temp beside its destination, renamed over it when complete) or a hint
 * (a download in `<storage>/.tmp`). The host tag and pid say who writes it: a temp of a process of this host that
 * no longer runs is stale at once; any other (another node on shared storage: another machine, a container with
 * its own pids, this machine before a reboot) only once nobody wrote it for the age limit (a file being written
 * keeps a fresh mtime), so a node never removes a live partial file of another.
 *
 * A temp outside `<storage>/.tmp` (beside an image, beside a `pull --name` or cross-file-system `mv` destination)
 * is announced by a note in `<storage>/.tmp` (same scheme, base `@note`, holding the temp's path), so the cheap
 * sweep of that one folder, run by every command that opens the catalogue (`images` included), finds the temps of
 * killed processes wherever they are, without walking the storage tree.
 *
 * (The CLI's V8 compile cache, `packages/cli/bin/compile-cache.js`, keeps its own temp name: it runs before any
 * of core is loaded.)
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_TEMP_MAX_AGE_MS, JOURNAL_DIR_NAME, SWEEP_MARKER_NAME } from './names';

/**
 * A short tag of where this process's pid means this process: the host name, the kernel's boot (pids are reused
 * after a reboot) and the pid namespace (a container of the same name, on this machine or another, counts its own
 * pids). Temps of any other tag are another node's, on storage shared between machines: never judged by pid.
 */
export const HOST_TAG = createHash('sha256')
  .update(
    [
      os.hostname(),
      readOr(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()),
      readOr(() => readlinkSync('/proc/self/ns/pid')),
    ].join('\0'),
  )
  .digest('hex')
  .slice(0, 8);

/** `read()`, or '' where the system has no such file (not Linux): the host name alone tells then. */
function readOr(read: () => string): string {
  try {
    return read();
  } catch {
    return '';
  }
}
const TEMP_NAME = /^\.(.+)\.sregistry-([0-9a-f]{8})-(\d+)-([0-9a-f]+)\.tmp$/;
/** what earlier versions wrote (recognised so their leftovers are cleaned too, by age only) */
const LEGACY_NAMES = [
  /^\..+\.sregistry-\d+-[0-9a-f]+\.tmp$/, // copies beside a destination
  /^\.?.+\.[0-9a-f]{8}\.\d+\.[0-9a-f]+\.part(\.[0-9a-f]+\.unpacked)?$/, // downloads
  /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/, // atomic writes
];
const NOTE_BASE = '@note';
/** what storage keeps its own file names short by (a longer base is shortened in the temp name: tempBase) */
export const TEMP_NAME_OVERHEAD = 40;

export interface TempOwner {
  base: string;
  host: string;
  pid: number;
  token: string;
}

/** `.<base>.sregistry-<host>-<pid>-<token>.tmp`; pid and token are given only by tests that fake a leftover. */
export function tempName(base: string, owner: { pid?: number; token?: string } = {}): string {
  return `.${tempBase(base)}.sregistry-${HOST_TAG}-${owner.pid ?? process.pid}-${owner.token ?? randomBytes(4).toString('hex')}.tmp`;
}

/** What the scheme adds to a base: `.` + `.sregistry-` + host tag + `-` + pid (≤ 7 digits) + `-` + token + `.tmp`. */
const SCHEME_BYTES = 1 + 11 + 8 + 1 + 7 + 1 + 8 + 4;
/** NAME_MAX: the longest file name Linux and macOS file systems take, in bytes */
const NAME_MAX = 255;

/**
 * The base as it goes into a temp name: the file name itself, or, when a temp of that name would pass NAME_MAX (a
 * valid file name of up to 255 bytes), its start and a hash of the whole, which keeps temps of two long names
 * that start alike apart.
 */
export function tempBase(base: string): string {
  const room = NAME_MAX - SCHEME_BYTES;
  if (Buffer.byteLength(base) <= room) return base;
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 8);
  let start = base;
  // cut whole characters, never half a UTF-8 sequence
  while (Buffer.byteLength(start) > room - hash.length - 1) start = start.slice(0, -1);
  return `${start}~${hash}`;
}

/** A temp path beside `dest` (same folder, so the final rename is atomic). */
export function tempBeside(dest: string, owner?: { pid?: number; token?: string }): string {
  return path.join(path.dirname(dest), tempName(path.basename(dest), owner));
}

/** A temp path in `dir` named after `hint` (reduced to safe characters). */
export function tempIn(dir: string, hint: string): string {
  const safe =
    hint
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^[._]+/, '')
      .slice(0, 80) || 'download';
  return path.join(dir, tempName(safe));
}

/** A second temp for the same destination as `temp` (the `--gunzip` output of a download). */
export function siblingTemp(temp: string): string {
  const owner = parseTempName(path.basename(temp));
  return path.join(path.dirname(temp), tempName(owner?.base ?? 'download'));
}

export function parseTempName(fileName: string): TempOwner | undefined {
  const m = TEMP_NAME.exec(fileName);
  return m ? { base: m[1]!, host: m[2]!, pid: Number(m[3]), token: m[4]! } : undefined;
}

/** Any name a temp file of ours has, now or in earlier versions (a user's file must not look like one). */
export function isTempFileName(fileName: string): boolean {
  return TEMP_NAME.test(fileName) || LEGACY_NAMES.some((re) => re.test(fileName));
}

/** The one staleness rule: the writer is a process of this host that is gone, or nobody wrote it for `maxAgeMs`. */
export function isStaleTemp(fileName: string, mtimeMs: number, maxAgeMs = DEFAULT_TEMP_MAX_AGE_MS): boolean {
  const owner = parseTempName(fileName);
  if (owner && ownerIsGone(owner)) return true;
  return Date.now() - mtimeMs > maxAgeMs;
}

function ownerIsGone(owner: Pick<TempOwner, 'host' | 'pid'>): boolean {
  // on storage shared between machines only the owner's host can tell whether the owner still runs
  if (owner.host !== HOST_TAG || owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Writes the note for a temp outside `ledgerDir` before the temp is made (a kill after that leaves both, and the
 * sweep removes both). Best effort: without a note the temp is still found by the
 * daily walk of storage or the next write to the same destination.
 *
 * Without a ledger (a `pull --no-cache` into the current folder) no sweep would ever look there: the temp is
 * removed by this process itself if SIGINT, SIGTERM or SIGHUP ends it (SIGKILL leaves it to the next write of the
 * same destination, removeStaleTempsBeside).
 */
export async function noteTemp(ledgerDir: string | undefined, temp: string): Promise<void> {
  if (!ledgerDir) return removeOnSignal(temp);
  if (path.dirname(temp) === ledgerDir) return;
  const owner = parseTempName(path.basename(temp));
  if (!owner) return;
  await fs.mkdir(ledgerDir, { recursive: true }).catch(() => {});
  await fs.writeFile(notePath(ledgerDir, owner), `${path.resolve(temp)}\n`, { mode: 0o600 }).catch(() => {});
}

/** Removes the note of `temp` (it was renamed into place or deleted). */
export async function releaseTemp(ledgerDir: string | undefined, temp: string): Promise<void> {
  unnoted.delete(path.resolve(temp));
  const owner = parseTempName(path.basename(temp));
  if (!ledgerDir || !owner || path.dirname(temp) === ledgerDir) return;
  await fs.rm(notePath(ledgerDir, owner), { force: true }).catch(() => {});
}

/** Deletes `temp` (a failed write) and its note. */
export async function discardTemp(ledgerDir: string | undefined, temp: string): Promise<void> {
  await fs.rm(temp, { force: true }).catch(() => {});
  await releaseTemp(ledgerDir, temp);
}

/** Temps of this process that no ledger notes, removed if a signal ends the process. */
const unnoted = new Set<string>();
const ENDING_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let listening = false;

function removeOnSignal(temp: string): void {
  unnoted.add(path.resolve(temp));
  if (listening) return;
  listening = true;
  // first in line: a command's own handler (pull's Ctrl-C abort) runs after this one and still sees itself counted
  for (const signal of ENDING_SIGNALS) process.prependListener(signal, onEndingSignal);
}

function onEndingSignal(signal: NodeJS.Signals): void {
  for (const file of unnoted) {
    try {
      rmSync(file, { force: true });
    } catch {
      // the next write of the same destination removes it (removeStaleTempsBeside)
    }
  }
  unnoted.clear();
  // a command that handles the signal itself finishes its own way (and says so); otherwise the process ends as the
  // signal would have ended it without this listener (exit status 128 + signal number)
  if (process.listenerCount(signal) > 1) return;
  for (const s of ENDING_SIGNALS) process.off(s, onEndingSignal);
  listening = false;
  process.kill(process.pid, signal);
}

function notePath(ledgerDir: string, owner: TempOwner): string {
  return path.join(ledgerDir, tempName(NOTE_BASE, owner));
}

/**
 * Removes the stale temps in `dir` that were made for `dest` (a killed write of the same file): run by the next
 * write there, which is all that looks at folders outside storage (the secrets file's, a `--no-cache` pull's).
 */
export async function removeStaleTempsBeside(dest: string, maxAgeMs = DEFAULT_TEMP_MAX_AGE_MS): Promise<number> {
  const base = path.basename(dest);
  const names = await fs.readdir(path.dirname(dest)).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    if (parseTempName(name)?.base !== tempBase(base) && !(isTempFileName(name) && name.startsWith(`.${base}.`))) continue;
    if (await removeIfStale(path.join(path.dirname(dest), name), maxAgeMs)) removed++;
  }
  return removed;
}

/**
 * The sweep of `<storage>/.tmp` (and its journal folder): stale temps, stale notes with the temps they name, and
 * files of earlier versions by age. Intents and the sweep marker are not temps. Cheap: two folder listings.
 */
export async function sweepTempFolder(tempDir: string, maxAgeMs = DEFAULT_TEMP_MAX_AGE_MS): Promise<number> {
  let removed = 0;
  for (const dir of [tempDir, path.join(tempDir, JOURNAL_DIR_NAME)]) {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile() || isKept(dir === tempDir, entry.name)) continue;
      const full = path.join(dir, entry.name);
      const owner = parseTempName(entry.name);
      if (owner?.base === NOTE_BASE) {
        if (await removeNoted(full, owner, maxAgeMs)) removed++;
        continue;
      }
      if (await removeIfStale(full, maxAgeMs)) removed++;
    }
  }
  return removed;
}

/** True when `<storage>/.tmp` holds a temp or note of a process of this host that is gone (names only, no I/O per file). */
export function tempFolderNeedsSweep(tempDir: string): boolean {
  let names: string[];
  try {
    names = readdirSync(tempDir);
  } catch {
    return false;
  }
  return names.some((name) => {
    const owner = parseTempName(name);
    return owner !== undefined && ownerIsGone(owner);
  });
}

/** Intents (`journal/<x>.json`) and the sweep marker live in `.tmp` but are not temps. */
function isKept(topLevel: boolean, name: string): boolean {
  if (topLevel) return name === SWEEP_MARKER_NAME;
  return name.endsWith('.json') && !name.startsWith('.');
}

/** Deletes `file` (a temp) when the one staleness rule says so; true when it was deleted. */
export async function removeIfStale(file: string, maxAgeMs = DEFAULT_TEMP_MAX_AGE_MS): Promise<boolean> {
  const stat = await fs.lstat(file).catch(() => undefined);
  if (!stat?.isFile() || !isStaleTemp(path.basename(file), stat.mtimeMs, maxAgeMs)) return false;
  return fs.rm(file, { force: true }).then(
    () => true,
    () => false,
  );
}

/** A stale note: the temp it names goes too, but only a file whose name says it is that same process's temp. */
async function removeNoted(note: string, owner: TempOwner, maxAgeMs: number): Promise<boolean> {
  const stat = await fs.lstat(note).catch(() => undefined);
  if (!stat || !isStaleTemp(path.basename(note), stat.mtimeMs, maxAgeMs)) return false;
  const target = (await fs.readFile(note, 'utf8').catch(() => '')).slice(0, 4096).trim();
  const named = parseTempName(path.basename(target));
  let removed = false;
  if (path.isAbsolute(target) && named && named.host === owner.host && named.pid === owner.pid && named.token === owner.token) {
    const st = await fs.lstat(target).catch(() => undefined);
    if (st?.isFile())
      removed = await fs.rm(target, { force: true }).then(
        () => true,
        () => false,
      );
  }
  await fs.rm(note, { force: true }).catch(() => {});
  return removed;
}
