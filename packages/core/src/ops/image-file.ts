import fs from 'node:fs';
import type { PushFormat } from '../contracts/backend';
import { UserError } from '../errors';
import { detectImageFormat, readSif } from '../sif/index';
import type { Session } from './session';

/**
 * The one check of a local file before it is catalogued (`add`) or uploaded (`push`): a broken SIF or a folder
 * is refused (it would fail later, far from its cause), as is an empty file (a build that failed, a truncated
 * copy: no image is 0 bytes); other content goes ahead with a warning, as the original accepted any file.
 */
export async function checkImageFile(
  session: Session,
  file: string,
  shown: string,
  going: 'adding' | 'pushing',
  /** the formats the destination holds (Backend.pushFormats), when it holds only some */
  only?: { formats: readonly PushFormat[]; where: string },
): Promise<void> {
  const format = await detectImageFormat(file);
  if (format.format !== 'directory' && (await fs.promises.stat(file).catch(() => undefined))?.size === 0) {
    throw new UserError(`${shown} is empty (0 bytes)`, { fix: 'give the path of a built image', code: 'ENOTSIF' });
  }
  if (format.format === 'directory') throw new UserError(`${shown} is a folder`, { fix: 'give the path of an image file' });
  if (only && !(only.formats as readonly string[]).includes(format.format)) throw notAccepted(shown, format.format, only);
  if (format.format === 'unknown') session.out.warn(`${shown} is not a SIF, squashfs or ext3 image; ${going} it anyway`);
  if (format.format === 'sif') await readSif(file); // throws a UserError naming what is wrong
}

const FORMAT_NAMES: Record<string, string> = {
  sif: 'a SIF',
  squashfs: 'a squashfs image',
  ext3: 'an ext3 image',
  gzip: 'a gzip file',
  unknown: 'no SIF, squashfs or ext3 image',
};
const PLURALS: Record<PushFormat, string> = { sif: 'SIF images', squashfs: 'squashfs images', ext3: 'ext3 images' };

/** A file of a format the destination does not hold: refused before any request, so nothing lands there. */
function notAccepted(shown: string, format: string, only: { formats: readonly PushFormat[]; where: string }): UserError {
  const wanted = only.formats.map((f) => PLURALS[f]).join(' or ');
  return new UserError(`${shown} is ${FORMAT_NAMES[format] ?? format}, and ${only.where} holds only ${wanted}`, {
    fix: only.formats.includes('sif')
      ? `build a SIF from it (apptainer build image.sif ${shown}) and push that`
      : `push one of the ${wanted}`,
    code: 'ENOTSIF',
  });
}
