import type { Dirent, Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isPlaceTemp, isStaleBesideTemp, JOURNAL_DIR_NAME, ownedByDeadProcess, SWEEP_MARKER_NAME, TEMP_DIR_NAME } from './layout';

/**
 * Removes leftovers of interrupted work older than `maxAgeMs`: everything in `<root>/.tmp/` (except the
 * journal's intents, which recovery owns, and the sweep marker) and `.…sregistry-<pid>-<hex>.tmp` files next to images.
 * The age limit protects transfers that are still running in another process (their mtime keeps moving).
 */
export async function cleanTempFiles(root: string, maxAgeMs: number, options: { fullSweep?: boolean } = {}): Promise<number> {
  const cutoff = Date.now() - maxAgeMs;
  let removed = 0;
  // Only `.tmp/` is looked at by default, so opening a catalogue of 10,000 images stays cheap; the whole tree
  // (temp files written next to images) is walked when recovery found work of a crashed process.
  const fullSweep = options.fullSweep ?? false;

  const visit = async (dir: string, inTemp: boolean): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return; // vanished meanwhile or unreadable: nothing of ours to clean
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        const isTempRoot = dir === root && entry.name === TEMP_DIR_NAME;
        if (inTemp || isTempRoot || fullSweep) await visit(full, inTemp || isTempRoot);
        continue;
      }
      if (!entry.isFile()) continue; // never follow or delete symlinks
      const isIntent = inTemp && path.basename(dir) === JOURNAL_DIR_NAME && entry.name.endsWith('.json') && !entry.name.startsWith('.');
      const isMarker = dir === path.join(root, TEMP_DIR_NAME) && entry.name === SWEEP_MARKER_NAME;
      if (isIntent || isMarker || !(inTemp || isPlaceTemp(entry.name))) continue;
      try {
        const stat = await fs.stat(full);
        // a transfer of a process that died on this host is garbage now, however young
        if (stat.mtimeMs > cutoff && !(inTemp && ownedByDeadProcess(entry.name))) continue;
        await fs.rm(full, { force: true });
        removed += 1;
      } catch {
        // removed by someone else meanwhile
      }
    }
  };

  await visit(root, false);
  return removed;
}

/**
 * Removes what killed downloads to `dest` left beside it (`isStaleBesideTemp`: only temp names of that file, only
 * of processes of this host that are gone). Such files lie outside the storage folder, which no sweep visits, so
 * the next download to the same place cleans them. Returns how many were removed.
 */
export function removeStaleBesideTemps(dest: string): Promise<number> {
  return removeFilesIn(path.dirname(dest), (name) => isStaleBesideTemp(dest, name));
}

/**
 * Removes the files in `dir` that `matches` and that nobody wrote for `maxAgeMs` (a file being written keeps a
 * fresh mtime): temp files of killed writes outside the storage folder, where no sweep looks. By age, not by
 * process id, because such folders (home, a project folder) may be shared between machines.
 */
export function removeStaleFiles(dir: string, matches: (name: string) => boolean, maxAgeMs: number): Promise<number> {
  return removeFilesIn(dir, matches, (stat) => Date.now() - stat.mtimeMs > maxAgeMs);
}

/** Removes the files of `dir` whose name `matches` (and, when given, whose stat `stale` accepts); best effort. */
async function removeFilesIn(dir: string, matches: (name: string) => boolean, stale?: (stat: Stats) => boolean): Promise<number> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names.filter(matches)) {
    const full = path.join(dir, name);
    if (stale) {
      const stat = await fs.stat(full).catch(() => undefined);
      if (!stat?.isFile() || !stale(stat)) continue;
    }
    await fs.rm(full, { force: true }).then(
      () => removed++,
      () => undefined,
    );
  }
  return removed;
}
