import path from 'node:path';

/**
 * Names inside a storage root. Everything that is not an image lives under `.tmp/` (same file system as the
 * images, so a rename from there is atomic); the catalogue's intent journal has its own sub-folder that
 * temp cleaning never touches.
 */
export const TEMP_DIR_NAME = '.tmp';
export const JOURNAL_DIR_NAME = 'journal';

/** Temp files written next to a destination end like this, so cleaning can recognise them anywhere. */
const PLACE_TEMP = /\.sregistry-\d+-[0-9a-f]+\.tmp$/;

export function placeTempName(dest: string, pid: number, random: string): string {
  return path.join(path.dirname(dest), `.${path.basename(dest)}.sregistry-${pid}-${random}.tmp`);
}

export function isPlaceTemp(fileName: string): boolean {
  return fileName.startsWith('.') && PLACE_TEMP.test(fileName);
}

/** True when `child` is `root` itself or lies below it (both absolute). */
export function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
