// A team catalogue (PostgreSQL) is shared, a storage folder should be too. A user whose SREGISTRY_STORAGE is their
// own folder would, by pulling an image another user catalogued, repoint the shared row into their folder and
// leave the other user's file listed nowhere (and the other user's next sweep would take it for a leftover). So
// a record whose file lies at the layout path of another storage folder, and is there, is not repointed: the pull
// or add says which folder holds it (the same holds for one SQLite catalogue used with two storage folders).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ImageRecord } from '../contracts/records';
import { UserError } from '../errors';
import { shellWord } from '../output/shell-word';
import { printable } from '../output/untrusted';

/**
 * The storage folder, other than `ours`, whose layout (`<root>/<collection>/<image>/<tag>@…`) holds `record`'s file,
 * when the file is there; undefined for a file in `ours`, one the user named (`pull --name`), or one that is gone.
 */
export async function otherStorageHolding(
  record: Pick<ImageRecord, 'collection' | 'name' | 'tag' | 'image'>,
  ours: string,
): Promise<string | undefined> {
  if (!record.image) return undefined;
  const file = path.resolve(record.image);
  const folder = path.join(...record.collection.split('/'), record.name);
  const dir = path.dirname(file);
  if (!dir.endsWith(`${path.sep}${folder}`) || !path.basename(file).startsWith(`${record.tag}@`)) return undefined;
  const root = dir.slice(0, dir.length - folder.length - 1);
  if (path.resolve(root) === path.resolve(ours)) return undefined;
  const found = await fs.stat(file).catch(() => undefined);
  return found?.isFile() ? root : undefined;
}

/** The refusal for a record kept in another storage folder (otherStorageHolding). */
export function inOtherStorage(uri: string, file: string, root: string, ours: string): UserError {
  return new UserError(
    `${printable(uri)} is catalogued with its file in another storage folder (${printable(file)}), not in this command's (${printable(ours)}); replacing the record would leave that file catalogued nowhere`,
    {
      fix: `use the catalogue's storage folder: export SREGISTRY_STORAGE=${shellWord(root)} (a team catalogue needs one shared folder), or pass --force to catalogue this copy instead and keep that file uncatalogued`,
      code: 'EOTHERSTORAGE',
    },
  );
}
