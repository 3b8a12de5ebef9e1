import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { syncDir } from '../settings/atomic-write';
import { pausePoint } from '../testing-hooks';
import { discardTemp, noteTemp, releaseTemp, removeStaleTempsBeside, tempBeside } from './temp-files';

/**
 * Puts `source` at `dest` so that `dest` is, at every moment, either absent/old or complete:
 * - move on one file system: fsync the source (its bytes may still be in the page cache), then one rename;
 * - copy, or move across file systems: copy into a temp file next to `dest`, fsync, rename, then (move only)
 *   unlink the source. A crash leaves the source intact and at worst a recognisable temp file.
 * The folders are fsynced so the new directory entries survive a power cut.
 */
export async function placeFile(source: string, dest: string, options: { copy?: boolean; ledger?: string } = {}): Promise<void> {
  const from = path.resolve(source);
  const to = path.resolve(dest);
  const dir = path.dirname(to);
  await fs.mkdir(dir, { recursive: true });
  if (from === to) return;

  if (!options.copy) {
    await syncFile(from);
    pausePoint('place-before-rename');
    try {
      await fs.rename(from, to);
      pausePoint('place-after-rename');
      await syncDir(dir);
      if (path.dirname(from) !== dir) await syncDir(path.dirname(from));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    }
  }

  // a copy to the same place that a kill interrupted (without a note, say from an earlier version)
  await removeStaleTempsBeside(to);
  const tmp = tempBeside(to);
  // the note in storage's .tmp lets the next command find this temp if we are killed (options.ledger)
  await noteTemp(options.ledger, tmp);
  try {
    // copyFile lets the kernel stream (or reflink) the bytes: memory does not grow with the file
    await fs.copyFile(from, tmp, constants.COPYFILE_EXCL);
    await syncFile(tmp);
    pausePoint('place-copy-temp-written');
    await fs.rename(tmp, to);
  } catch (error) {
    await discardTemp(options.ledger, tmp);
    throw error;
  }
  await releaseTemp(options.ledger, tmp);
  await syncDir(dir);
  pausePoint('place-copy-after-rename');
  if (!options.copy) {
    pausePoint('place-before-unlink');
    await fs.unlink(from);
    await syncDir(path.dirname(from));
  }
}

async function syncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
