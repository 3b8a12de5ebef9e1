import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors';
import { syncDir } from '../settings/atomic-write';
import { holdPoint, pausePoint } from '../testing-hooks';
import { cancelled } from '../transfer/retry';
import { discardTemp, noteTemp, releaseTemp, removeStaleTempsBeside, tempBeside } from './temp-files';

/**
 * Puts `source` at `dest` so that `dest` is, at every moment, either absent/old or complete:
 * - move on one file system: fsync the source (its bytes may still be in the page cache; not again when the caller
 *   says `synced`: a download's writer has just fsynced it), then one rename;
 * - copy, or move across file systems: copy into a temp file next to `dest`, fsync, rename, then (move only)
 *   unlink the source. A crash leaves the source intact and at worst a recognisable temp file.
 * The folders are fsynced so the new directory entries survive a power cut.
 * With `noClobber` (the caller saw no file at `dest`), a file that another command put there meanwhile is kept: the
 * last step is a hard link, which fails where a rename would replace, and the place rejects (isPlaceTaken).
 */
export async function placeFile(
  source: string,
  dest: string,
  options: { copy?: boolean; ledger?: string; signal?: AbortSignal; noClobber?: boolean; inStorage?: boolean; synced?: boolean } = {},
): Promise<void> {
  const from = path.resolve(source);
  const to = path.resolve(dest);
  const dir = path.dirname(to);
  const signal = options.signal;
  // what a Ctrl-C gives up, named by where the file was going (`mv` takes it out of storage)
  const what = options.inStorage === false ? `copy to ${dir}` : 'copy into storage';
  await fs.mkdir(dir, { recursive: true });
  if (from === to) return;

  if (!options.copy) {
    // a second fsync of a synced file still costs a journal commit: 1-8 ms of every pull on this VM's disk
    if (!options.synced) await untilAborted(syncFile(from), signal, what);
    pausePoint('place-before-rename');
    stopIfAborted(signal, what);
    try {
      await putInPlace(from, to, options.noClobber);
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
    // copyFile lets the kernel stream (or reflink) the bytes: memory does not grow with the file. It cannot be
    // stopped half-way, so an abort gives it up (the temp is deleted below; the copy ends with the process).
    await untilAborted(
      holdPoint('place-copy-in-progress').then(() => fs.copyFile(from, tmp, constants.COPYFILE_EXCL)),
      signal,
      what,
    );
    await untilAborted(
      holdPoint('place-copy-sync-in-progress').then(() => syncFile(tmp)),
      signal,
      what,
    );
    pausePoint('place-copy-temp-written');
    stopIfAborted(signal, what);
    await putInPlace(tmp, to, options.noClobber);
  } catch (error) {
    await discardTemp(options.ledger, tmp);
    throw error;
  }
  await releaseTemp(options.ledger, tmp);
  // a Ctrl-C from here on comes too late to give the copy up: the place (and the command's change) is finished
  await holdPoint('place-copy-placed-held', signal);
  await syncDir(dir);
  pausePoint('place-copy-after-rename');
  if (!options.copy) {
    pausePoint('place-before-unlink');
    await fs.unlink(from);
    await syncDir(path.dirname(from));
  }
}

/** Whether a place gave up because another command had just put a file at its destination (nothing changed). */
export function isPlaceTaken(error: unknown): boolean {
  return error instanceof PlaceTaken;
}

/** The refusal of a command that found another command putting a file at `dest` (nothing changed). */
export function placeTaken(dest: string): UserError {
  return new PlaceTaken(dest);
}

class PlaceTaken extends UserError {
  constructor(dest: string) {
    super(`${dest} appeared while this command ran: another command put a file there`, {
      fix: 'nothing was changed; run the command again to see what is there now',
      code: 'EEXIST',
    });
  }
}

/**
 * `from` renamed to `to`. Without clobbering, a hard link then the unlink of `from`: the link fails if `to` exists,
 * where the rename would replace it. File systems without hard links get the rename after a last look (a window
 * of a few microseconds instead of the whole command). EXDEV is the caller's (it copies instead).
 */
async function putInPlace(from: string, to: string, noClobber: boolean | undefined): Promise<void> {
  if (!noClobber) return fs.rename(from, to);
  try {
    await fs.link(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new PlaceTaken(to);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EMLINK') throw error;
    const there = await fs.lstat(to).catch(() => undefined);
    if (there) throw new PlaceTaken(to);
    return fs.rename(from, to);
  }
  await fs.unlink(from);
}

/** `work`, or ECANCELLED as soon as `signal` aborts (the work itself goes on unwatched). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return work;
  stopIfAborted(signal, what);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The last moment to give up: before the rename that makes `dest` appear. */
function stopIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw cancelled(signal, what);
}

async function syncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
