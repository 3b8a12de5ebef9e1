import fs from 'node:fs/promises';
import path from 'node:path';
import type { ImageName } from '../contracts/image-name';
import type { Storage } from '../contracts/storage';
import { UserError } from '../errors';
import { cleanTempFiles } from './clean';
import { fileSystemProblem } from './fs-errors';
import { DEFAULT_TEMP_MAX_AGE_MS, isInside, JOURNAL_DIR_NAME, TEMP_DIR_NAME } from './layout';
import { placeFile } from './place';
import { TEMP_NAME_OVERHEAD, tempIn } from './temp-files';

export { DEFAULT_TEMP_MAX_AGE_MS } from './layout';

/** 255 bytes (NAME_MAX) minus the decoration of a temp copy beside the file (temp-files.ts). */
const MAX_FILE_NAME_BYTES = 255 - TEMP_NAME_OVERHEAD;

export interface FileStorage extends Storage {
  /** `<root>/.tmp` */
  readonly tempDir: string;
  /** `<root>/.tmp/journal`, where the catalogue keeps its intents */
  readonly journalDir: string;
  /** true when the absolute path lies inside the root */
  contains(file: string): boolean;
}

/** The storage folder of the catalogue (client-spec §3.3/§4.4). */
export function createStorage(root: string): FileStorage {
  const absRoot = path.resolve(root);
  const tempDir = path.join(absRoot, TEMP_DIR_NAME);

  return {
    root: absRoot,
    tempDir,
    journalDir: path.join(tempDir, JOURNAL_DIR_NAME),

    pathFor(name: ImageName & { version: string }): string {
      return storagePath(absRoot, name);
    },

    contains(file: string): boolean {
      return isInside(absRoot, path.resolve(file));
    },

    async tempPath(hint = 'download'): Promise<string> {
      await fs.mkdir(tempDir, { recursive: true }).catch(async (error) => Promise.reject(await fileSystemProblem(error)));
      return tempIn(tempDir, hint);
    },

    place(
      source: string,
      dest: string,
      options?: { copy?: boolean; signal?: AbortSignal; noClobber?: boolean; synced?: boolean },
    ): Promise<void> {
      return placeFile(source, dest, { ...options, ledger: tempDir, inStorage: isInside(absRoot, path.resolve(dest)) });
    },

    cleanTemp(maxAgeMs = DEFAULT_TEMP_MAX_AGE_MS, options: { fullSweep?: boolean } = {}): Promise<number> {
      return cleanTempFiles(absRoot, maxAgeMs, options);
    },
  };
}

/**
 * `<root>/<collection>/<image>/<tag>@<version>.sif` (the original's layout; the registry part is left out
 * because the original produced an unusable path with it). A name that would resolve outside the root, or
 * into the hidden folders the catalogue reserves for itself, is refused.
 */
export function storagePath(root: string, name: Pick<ImageName, 'collection' | 'image' | 'tag' | 'uri'> & { version?: string }): string {
  const refuse = (problem: string, fix = 'use a name like collection/name:tag without "..", "/" in the tag or a leading "."'): never => {
    throw new UserError(`Cannot store "${shortened(name.uri)}": ${problem}`, { fix, code: 'EBADPATH' });
  };
  const folders = [...name.collection.split('/'), name.image];
  for (const part of folders) {
    if (part === '' || part.startsWith('.') || part.includes('\\') || part.includes('\0')) refuse(`"${part}" is not a usable folder name`);
    if (Buffer.byteLength(part) > 255) {
      refuse(`the folder name "${shortened(part)}" would be longer than 255 bytes`, 'use a shorter collection or image name');
    }
  }
  if (!name.tag || /[/\\\0]/.test(name.tag) || name.tag === '.' || name.tag === '..')
    refuse(`the tag "${name.tag}" is not a usable file name`);
  if (name.version && /[/\\\0]/.test(name.version)) refuse(`the version "${name.version}" is not a usable file name`);
  const file = `${name.tag}${name.version ? `@${name.version}` : ''}.sif`;
  // file systems allow 255 bytes per name, and the temp copy beside the file adds its suffix to that
  if (Buffer.byteLength(file) > MAX_FILE_NAME_BYTES) {
    // the file name is <tag>@<version>.sif: name the longer of the two
    const longer = Buffer.byteLength(name.version ?? '') > Buffer.byteLength(name.tag) ? 'version' : 'tag';
    refuse(`the file name "${shortened(file)}" would be longer than ${MAX_FILE_NAME_BYTES} bytes`, `use a shorter ${longer}`);
  }
  const full = path.resolve(root, ...folders, file);
  if (!isInside(root, full) || full === root) refuse('it resolves outside the storage folder');
  return full;
}

/** A name in a message: long ones (hundreds of characters) cut to their start, so the line stays readable. */
function shortened(text: string): string {
  return text.length > 60 ? `${text.slice(0, 40)}…` : text;
}
