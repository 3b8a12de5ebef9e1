import { UserError } from '../errors';

/** Every structural problem in a SIF ends here, so the user always sees the same shape of message and fix. */
export function invalidSif(path: string, why: string): UserError {
  return new UserError(`${path} is not a valid SIF file: ${why}`, {
    // the same check guards pull, push, inspect and sign: the fix names where a damaged file comes from in each
    fix: 'build the image again, or, if it was downloaded, pull it again with --force',
    code: 'EBADSIF',
  });
}

/** Turns an fs error from opening or reading an image into something the user can act on. */
export function fileError(path: string, error: unknown): UserError | unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT')
    return new UserError(`${path} does not exist`, { fix: 'check the path of the image file', code: 'ENOFILE', cause: error });
  if (code === 'EACCES' || code === 'EPERM') {
    return new UserError(`cannot read ${path}: permission denied`, { fix: 'check the file permissions', code: 'EACCES', cause: error });
  }
  if (code === 'EISDIR')
    return new UserError(`${path} is a folder`, { fix: 'give the path of an image file', code: 'EISDIR', cause: error });
  return error;
}
