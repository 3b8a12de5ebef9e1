import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { syncDir } from '../settings/atomic-write';
import { pausePoint } from '../testing-hooks';
import { removeStaleTempsBeside, tempBeside } from './temp-files';

/**
 * Changes a file without ever showing it half-changed: `source` is copied (reflinked where the file system can)
 * into a temp file beside `dest`, `patch` edits the copy, and a rename puts it at `dest`. Until the rename
 * `dest` is the old file; a process that has the old file open keeps reading the old bytes (a new inode
 * replaces it, nothing is written into it). A kill leaves a temp file that the next rewrite or copy there removes.
 */
export async function rewriteFile(source: string, dest: string, patch: (handle: fs.FileHandle) => Promise<void>): Promise<void> {
  const to = path.resolve(dest);
  const dir = path.dirname(to);
  await removeStaleTempsBeside(to);
  const tmp = tempBeside(to);
  try {
    await fs.copyFile(path.resolve(source), tmp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    const handle = await fs.open(tmp, 'r+');
    try {
      await patch(handle);
      await handle.sync();
    } finally {
      await handle.close();
    }
    pausePoint('rewrite-before-rename');
    await fs.rename(tmp, to);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
  await syncDir(dir);
}
