import { constants, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors';
import { shellWord } from '../output/shell-word';
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
  /** runs right before the copy replaces the file; throwing keeps the file as it was (the copy is removed) */
  beforeReplace?: () => Promise<void>;
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
    await options.beforeReplace?.();
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
    const original = await fs.stat(path.resolve(source));
    await refuseReadOnly(source, original.mode);
    await fs.copyFile(path.resolve(source), copy, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    // a large copy takes seconds: a Ctrl-C meanwhile is seen here, before the copy is opened and patched
    stop();
    const handle = await fs.open(copy, 'r+');
    try {
      await keepOwner(handle, original, source);
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

/**
 * A file this user may not write (mode 0444, or another's 0644) is not replaced: the rename would do it (it needs
 * only the folder's permission) and the copy's EACCES blamed the folder. Said of the file itself, with its mode.
 * Root may write any file, and replaces a 0444 one as it could write into it (its mode is kept).
 */
async function refuseReadOnly(source: string, mode: number): Promise<void> {
  if (
    await fs.access(source, constants.W_OK).then(
      () => true,
      () => false,
    )
  )
    return;
  throw new UserError(`${source} is read-only for you (mode ${(mode & 0o777).toString(8).padStart(4, '0')}): it was not changed`, {
    fix: `make it writable first (chmod u+w ${shellWord(source)}), or work on a copy`,
    code: 'EACCES',
  });
}

/**
 * The copy gets the original's owner and group (copyFile gives it ours): replacing a file must not change who can
 * read it. When that is not allowed (not root, and the group is one we are not in, or the owner another user), the
 * file is refused before anything is replaced, rather than replaced by one others can no longer read.
 */
async function keepOwner(handle: fs.FileHandle, original: { uid: number; gid: number }, source: string): Promise<void> {
  const made = await handle.stat();
  if (made.uid === original.uid && made.gid === original.gid) return;
  try {
    await handle.chown(original.uid, original.gid);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EACCES') throw error;
    const was = `${userName(original.uid)}:${groupName(original.gid)}`;
    const would = `${userName(made.uid)}:${groupName(made.gid)}`;
    throw new UserError(`cannot keep the owner and group of ${source} (${was}): its new copy would be ${would}`, {
      fix: `change it as its owner${original.gid === made.gid ? '' : ' or a member of its group'} (or as root), or change its group first (chgrp)`,
      code: 'EPERM',
    });
  }
}

/** The name of a user or group id from /etc/passwd or /etc/group, else the id itself. */
function idName(file: string, id: number): string {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const fields = line.split(':');
      if (fields[2] === String(id) && fields[0]) return fields[0];
    }
  } catch {
    // no such file (not Linux): the id says it
  }
  return String(id);
}
const userName = (uid: number) => idName('/etc/passwd', uid);
const groupName = (gid: number) => idName('/etc/group', gid);
