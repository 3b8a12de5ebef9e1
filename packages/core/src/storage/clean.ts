import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { TEMP_DIR_NAME } from './names';
import { isTempFileName, removeIfStale, sweepTempFolder } from './temp-files';

/**
 * Removes leftovers of interrupted work (the rule is temp-files.ts's: a dead process of this host at once, others
 * after `maxAgeMs`): everything stale in `<root>/.tmp/`, including the temps its notes name beside images and
 * destinations elsewhere. With `fullSweep`, the whole tree is walked too, for temp names beside images that no
 * note names (a power cut before the note, an earlier version).
 */
export async function cleanTempFiles(root: string, maxAgeMs: number, options: { fullSweep?: boolean } = {}): Promise<number> {
  let removed = await sweepTempFolder(path.join(root, TEMP_DIR_NAME), maxAgeMs);
  if (!options.fullSweep) return removed;
  const visit = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return; // vanished meanwhile or unreadable: nothing of ours to clean
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!(dir === root && entry.name === TEMP_DIR_NAME)) await visit(full);
      } else if (entry.isFile() && isTempFileName(entry.name) && (await removeIfStale(full, maxAgeMs))) {
        removed++; // never follows or deletes symlinks
      }
    }
  };
  await visit(root);
  return removed;
}
