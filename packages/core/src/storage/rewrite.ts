import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { syncDir } from '../settings/atomic-write';
import { pausePoint } from '../testing-hooks';
import { cancelled } from '../transfer/retry';
import { fileSystemProblem } from './fs-errors';
import { discardTemp, noteTemp, releaseTemp, removeStaleTempsBeside, tempBeside } from './temp-files';

export interface RewriteOptions {
  /** Ctrl-C (ops/interrupt.ts): the rewrite stops at its next step, removes its copy and rejects with ECANCELLED */
  signal?: AbortSignal;
  /** what the cancellation error names (`<purpose> cancelled`) */
  purpose?: string;
}

export type Patch = (handle: fs.FileHandle) => Promise<void>;

/**
 * Changes a file without ever showing it half-changed: `source` is copied (reflinked where the file system can)
 * into a temp file beside `dest`, `patch` edits the copy, and a rename puts it at `dest`. Until the rename
 * `dest` is the old file; a process that has the old file open keeps reading the old bytes (a new inode
 * replaces it, nothing is written into it). Ctrl-C, SIGTERM or SIGHUP remove the temp (no sweep looks in the
 * folder of an arbitrary file); a kill leaves it to the next rewrite or copy there.
 */
export async function rewriteFile(source: string, dest: string, patch: Patch, options: RewriteOptions = {}): Promise<void> {
  const to = path.resolve(dest);
  const dir = path.dirname(to);
  await removeStaleTempsBeside(to);
  const tmp = tempBeside(to);
  await noteTemp(undefined, tmp);
  try {
    await patchedCopy(source, tmp, patch, options);
    pausePoint('rewrite-before-rename');
    await fs.rename(tmp, to);
  } catch (error) {
    await discardTemp(undefined, tmp);
    throw await fileSystemProblem(error);
  }
  await releaseTemp(undefined, tmp);
  await syncDir(dir);
}

/**
 * Writes a patched copy of `source` to `copy`, a new file (a temp the caller made the name of and owns): copied,
 * patched, fsynced, and removed again when any of that fails or is cancelled.
 */
export async function patchedCopy(source: string, copy: string, patch: Patch, options: RewriteOptions = {}): Promise<void> {
  const stop = () => {
    if (options.signal?.aborted) throw cancelled(options.signal, options.purpose ?? 'rewrite');
  };
  try {
    stop();
    await fs.copyFile(path.resolve(source), copy, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    // a large copy takes seconds: a Ctrl-C meanwhile is seen here, before the copy is opened and patched
    stop();
    const handle = await fs.open(copy, 'r+');
    try {
      await patch(handle);
      await handle.sync();
    } finally {
      await handle.close();
    }
    stop();
  } catch (error) {
    // COPYFILE_EXCL refused a file that was there already: not ours to remove (anything else is our partial copy)
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') await fs.rm(copy, { force: true });
    throw await fileSystemProblem(error);
  }
}
