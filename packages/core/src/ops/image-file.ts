import fs from 'node:fs';
import { UserError } from '../errors';
import { detectImageFormat, readSif } from '../sif/index';
import type { Session } from './session';

/**
 * The one check of a local file before it is catalogued (`add`) or uploaded (`push`): a broken SIF or a folder
 * is refused (it would fail later, far from its cause), as is an empty file (a build that failed, a truncated
 * copy: no image is 0 bytes); other content goes ahead with a warning, as the original accepted any file.
 */
export async function checkImageFile(session: Session, file: string, shown: string, going: 'adding' | 'pushing'): Promise<void> {
  const format = await detectImageFormat(file);
  if (format.format !== 'directory' && (await fs.promises.stat(file).catch(() => undefined))?.size === 0) {
    throw new UserError(`${shown} is empty (0 bytes)`, { fix: 'give the path of a built image', code: 'ENOTSIF' });
  }
  if (format.format === 'unknown') session.out.warn(`${shown} is not a SIF, squashfs or ext3 image; ${going} it anyway`);
  if (format.format === 'directory') throw new UserError(`${shown} is a folder`, { fix: 'give the path of an image file' });
  if (format.format === 'sif') await readSif(file); // throws a UserError naming what is wrong
}
