// One writer at a time for a file that several commands may read, change and write back at once (the secrets
// file: two `backend add`s at the same moment each wrote the file as they had read it, and one change was lost).
// The lock is proper-lockfile's: a `<file>.lock` folder made atomically (mkdir, which works on network file
// systems too), refreshed while held, and taken over once stale (a killed holder), so a crash never locks anyone out.
import fs from 'node:fs/promises';
import path from 'node:path';
import { type ErrorCode, UserError } from '../errors';

/** A lock held longer than this without being refreshed is a dead holder's. */
const STALE_MS = 10_000;

/** Runs `work` while holding `file`'s lock; waits for another holder up to a few seconds. */
export async function withFileLock<T>(file: string, work: () => Promise<T>, what = file, code: ErrorCode = 'ESECRETS'): Promise<T> {
  // proper-lockfile retries whatever error making the lock gives, for the whole ~12 s below: a folder that is
  // missing (the first write of a new secrets file) is made first, and one that cannot take the lock is not waited
  // on; the write itself then succeeds, or fails with its own line, at once
  if (!(await lockableFolder(path.dirname(file)))) return work();
  // loaded by the commands that write the file only
  const lockfile = require('proper-lockfile') as typeof import('proper-lockfile');
  let release: () => Promise<void> = async () => undefined;
  try {
    release = await lockfile.lock(file, {
      // the file may not exist yet (the first `backend add`, the first login)
      realpath: false,
      stale: STALE_MS,
      // about 12 s in all: longer than a stale lock lives, so a dead holder's lock is taken over, not waited out
      retries: { retries: 60, factor: 1.1, minTimeout: 20, maxTimeout: 400 },
    });
  } catch (error) {
    // no lock can be made there (a read-only folder, a missing one): the write itself fails with its own line
    if ((error as { code?: string }).code !== 'ELOCKED') return work();
    throw new UserError(`${what} is being changed by another command (its lock ${file}.lock is held)`, {
      fix: `try again in a moment; if no sregistry command is running, remove ${file}.lock`,
      code,
    });
  }
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
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
