import fs from 'node:fs/promises';
import path from 'node:path';
import { isUserError, knownCode, UserError } from '../errors';
import { parseTempName } from './temp-files';

/**
 * Turns a file-system failure while writing images (disk full, read-only or unwritable folder, a file where a
 * folder should be) into a one-line UserError; anything else is returned unchanged. Without this the user saw
 * "unexpected failure: ENOSPC …; re-run with --debug".
 */
export async function fileSystemProblem(error: unknown): Promise<unknown> {
  if (isUserError(error)) return error;
  const e = error as NodeJS.ErrnoException & { dest?: string };
  if (typeof e?.code !== 'string' || typeof e.syscall !== 'string') return error;
  let where = e.dest ?? e.path ?? '';
  // name the file the user asked for, not the temp copy beside it
  const temp = where ? parseTempName(path.basename(where)) : undefined;
  if (temp) where = path.join(path.dirname(where), temp.base);
  // the temp could not be made: what refuses it is its folder, which must be writable even to replace a file
  if (temp && (e.code === 'EACCES' || e.code === 'EPERM')) {
    return new UserError(
      `permission denied writing ${path.dirname(where)} (the new ${temp.base} is written there before it replaces the old)`,
      {
        fix: 'make the folder writable, or work on a copy in a folder you can write to (SREGISTRY_STORAGE for the catalogue)',
        code: knownCode(e.code, 'EWRITE'),
        cause: error,
      },
    );
  }
  let code = e.code;
  if (e.syscall === 'mkdir' && where && ['ENOENT', 'ENOTDIR', 'EEXIST'].includes(code)) {
    // Node's recursive mkdir reports ENOENT when the real cause is a read-only, unwritable or file parent;
    // name the path that is actually in the way
    const blocker = await nearestExisting(where);
    if (blocker) ({ where, code } = blocker);
  }
  // errno names we document keep their name; any other (EINVAL, EXDEV, …) is reported as EWRITE
  const make = (message: string, fix: string) => new UserError(message, { fix, code: knownCode(code, 'EWRITE'), cause: error });
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return make(
        `no space left on the disk of ${path.dirname(where)}`,
        'free some space, or use a folder on another disk (SREGISTRY_STORAGE for the catalogue)',
      );
    case 'EROFS':
      if (DELETE_SYSCALLS.has(e.syscall))
        return make(`cannot delete ${where}: it is on a read-only file system`, 'leave it, or remount its file system writable');
      return make(`${where} is on a read-only file system`, 'use a writable folder (SREGISTRY_STORAGE for the catalogue)');
    case 'EACCES':
    case 'EPERM':
      // deleting needs write permission on the folder, not on the file
      if (DELETE_SYSCALLS.has(e.syscall) && where) {
        return make(
          `permission denied deleting ${where}: its folder ${path.dirname(where)} is not writable`,
          "ask the folder's owner for write permission",
        );
      }
      return make(
        `permission denied writing ${where}`,
        'fix the permissions, or use a folder you can write to (SREGISTRY_STORAGE for the catalogue)',
      );
    case 'ENOTDIR':
      return make(`${where} is a file where a folder is needed`, 'move it away, or point SREGISTRY_STORAGE at a folder');
    default:
      // anything else a write can meet (a pseudo file system such as /proc, EINVAL, EXDEV twice…) is still about
      // that path, never a bug of ours
      if (!WRITE_SYSCALLS.has(e.syscall)) return error;
      return make(`${where || 'the destination'} cannot be written (${code})`, 'choose a folder on an ordinary, writable file system');
  }
}

const DELETE_SYSCALLS = new Set(['unlink', 'rmdir', 'rm']);
const WRITE_SYSCALLS = new Set(['open', 'copyfile', 'rename', 'unlink', 'mkdir', 'write', 'fsync', 'link', 'symlink', 'ftruncate']);

/** The nearest existing path at or above `target`, and why nothing can be created below it. */
async function nearestExisting(target: string): Promise<{ where: string; code: string } | undefined> {
  for (let p = target; ; p = path.dirname(p)) {
    const stat = await fs.stat(p).catch(() => undefined);
    if (stat) {
      if (!stat.isDirectory()) return { where: p, code: 'ENOTDIR' };
      const denied = await fs.access(p, fs.constants.W_OK).then(
        () => undefined,
        (error: NodeJS.ErrnoException) => error.code,
      );
      return denied ? { where: p, code: denied } : undefined;
    }
    if (p === path.dirname(p)) return undefined;
  }
}
