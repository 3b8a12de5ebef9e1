// One writer at a time for a file that several commands may read, change and write back at once (the secrets
// file: two `backend add`s at the same moment each wrote the file as they had read it, and one change was lost).
// The lock is proper-lockfile's: a `<file>.lock` folder made atomically (mkdir, which works on network file
// systems too), refreshed while held, and taken over once stale (a killed holder), so a crash never locks anyone out.
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ErrorCode, UserError } from '../errors';

/** A lock held longer than this without being refreshed is a dead holder's. */
const STALE_MS = 10_000;

/** What `work` is given: whether the lock is still this command's. */
export interface HeldLock {
  /** aborted once another command has taken the lock over (this one was stopped, kill -STOP, past the stale time) */
  readonly signal: AbortSignal;
  /** throws the one-line error when the lock is no longer this command's: call it right before writing */
  check(): Promise<void>;
}

const UNLOCKED: HeldLock = { signal: new AbortController().signal, check: async () => undefined };

/**
 * Runs `work` while holding `file`'s lock; waits for another holder up to a few seconds. A holder that was stopped
 * (kill -STOP, a suspended laptop) past the stale time may find its lock taken over by another command when it
 * runs again: proper-lockfile then calls onCompromised, whose default throws from a timer (a raw stack trace, and
 * the write goes on regardless). Here it aborts `lock.signal`, `lock.check()` refuses the write, and the command
 * ends in one line with `code`.
 */
export async function withFileLock<T>(
  file: string,
  work: (lock: HeldLock) => Promise<T>,
  what = file,
  code: ErrorCode = 'ESECRETS',
): Promise<T> {
  // proper-lockfile retries whatever error making the lock gives, for the whole ~12 s below: a folder that is
  // missing (the first write of a new secrets file) is made first, and one that cannot take the lock is not waited
  // on; the write itself then succeeds, or fails with its own line, at once
  if (!(await lockableFolder(path.dirname(file)))) return work(UNLOCKED);
  // loaded by the commands that write the file only
  const lockfile = require('proper-lockfile') as typeof import('proper-lockfile');
  const lost = new AbortController();
  const takenOver = (written: boolean) =>
    new UserError(
      `the lock of ${what} (${file}.lock) was taken over by another command while this one was stopped${written ? '' : ': nothing was changed'}`,
      { fix: 'run it again', code },
    );
  let release: () => Promise<void> = async () => undefined;
  try {
    release = await lockfile.lock(file, {
      // the file may not exist yet (the first `backend add`, the first login)
      realpath: false,
      stale: STALE_MS,
      // about 12 s in all: longer than a stale lock lives, so a dead holder's lock is taken over, not waited out
      retries: { retries: 60, factor: 1.1, minTimeout: 20, maxTimeout: 400 },
      onCompromised: () => lost.abort(takenOver(false)),
    });
  } catch (error) {
    // no lock can be made there (a read-only folder, a missing one): the write itself fails with its own line
    if ((error as { code?: string }).code !== 'ELOCKED') return work(UNLOCKED);
    throw new UserError(`${what} is being changed by another command (its lock ${file}.lock is held)`, {
      fix: `try again in a moment; if no sregistry command is running, remove ${file}.lock`,
      code,
    });
  }
  // A stop shows as a gap between beats. After one, proper-lockfile's refresh is overdue and runs at once: it
  // finds a lock taken over (its mtime is no longer ours) within a few milliseconds, so check() gives it that time.
  let beat = Date.now();
  let gap = false;
  const beats = setInterval(() => {
    if (Date.now() - beat > STALE_MS / 2) gap = true;
    beat = Date.now();
  }, 1000).unref();
  const lock: HeldLock = {
    signal: lost.signal,
    check: async () => {
      if (gap || Date.now() - beat > STALE_MS / 2) {
        gap = false;
        await sleep(500);
      }
      if (lost.signal.aborted) throw takenOver(false);
    },
  };
  let result: T;
  try {
    result = await work(lock);
  } catch (error) {
    // a work stopped by the abort (or failing after it) wrote nothing: the takeover is what to say
    throw lost.signal.aborted ? takenOver(false) : error;
  } finally {
    clearInterval(beats);
    await release().catch(() => undefined);
  }
  // a work that never called check() and wrote after another command took its lock: said, not passed over
  if (lost.signal.aborted) throw takenOver(true);
  return result;
}

/** Whether `dir` exists (made when missing) and this process may create the lock folder in it. */
async function lockableFolder(dir: string): Promise<boolean> {
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.access(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
