/**
 * Which paths a command may write an image to. `mv`, `pull --name` and `add` place files wherever the user
 * says, and a path string says little: a symlinked folder, a `..` or a bind mount reaches the catalogue's own
 * database or storage's hidden folders under another spelling, and a second name of another image's file looks
 * unrelated. So every check here compares what the kernel sees (device + inode of the file and of its folders),
 * never the strings.
 */
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Database } from '../contracts/database';
import type { ImageRecord } from '../contracts/records';
import { type ErrorCode, UserError } from '../errors';
import { JOURNAL_DIR_NAME, TEMP_DIR_NAME } from '../storage/names';
import { isTempFileName } from '../storage/temp-files';
import { recordName } from './record-name';

/** SQLite's files beside a database (rollback journal, WAL, shared memory) and our sweep marker. */
const DATABASE_SUFFIXES = ['', '-journal', '-wal', '-shm', '-sweep'];

export interface TargetRules {
  /** what is being done, for the message: `mv`, `pull --name` */
  purpose: string;
  /** the user allowed replacing an unrelated existing file */
  force?: boolean;
  /** records that may own the target (the image itself when it is updated in place) */
  mayOwn?: (record: ImageRecord) => boolean;
}

type Identity = { dev: number; ino: number };

export class TargetGuard {
  constructor(
    /** the rows, to recognise another image's file; absent when the catalogue is not in use (--no-cache) */
    private readonly database: Database | undefined,
    private readonly storageRoot: string,
    private readonly databaseFile?: string,
  ) {}

  /**
   * Refuses (UserError) a target that is one of the catalogue's own files or folders, lies in storage's hidden
   * folders, exists and is not a regular file, is another image's file, or exists without `force`.
   */
  async check(target: string, rules: TargetRules): Promise<void> {
    const file = path.resolve(target);
    const refuse = (problem: string, fix: string, code: ErrorCode = 'EPROTECTED'): never => {
      throw new UserError(`${rules.purpose}: ${file} ${problem}`, { fix, code });
    };
    if (isTempFileName(path.basename(file))) refuse('is named like a temporary file that sregistry deletes', 'choose another file name');
    await this.refuseCatalogueFolders(file, refuse);
    const stat = await fs.lstat(file).catch(() => undefined);
    if (!stat) return;
    if (!stat.isFile()) {
      refuse(`exists and is ${kindOf(stat)}, not a regular file`, 'give the path of a new or regular file', 'ENOTFILE');
    }
    if (await this.isDatabaseFile(stat)) refuse("is the catalogue's database", 'choose another path');
    const owners = await this.recordsUsing(file, stat);
    const other = owners.find((r) => !rules.mayOwn?.(r));
    if (other) {
      refuse(`is the file of ${recordName(other)}`, 'choose another path', 'EEXIST');
    }
    if (owners.length === 0 && !rules.force) refuse('exists', 'remove it first, or use --force to overwrite', 'EEXIST');
  }

  /**
   * Rows whose file is `file` itself: the same path, or the same device and inode under another spelling
   * (symlinked folder, hard link, bind mount). Candidates are the rows with the same file name; a file with
   * several hard links may have any name, so then every row is looked at.
   */
  async recordsUsing(file: string, stat?: Stats): Promise<ImageRecord[]> {
    const database = this.database;
    if (!database) return [];
    const abs = path.resolve(file);
    const st = stat ?? (await fs.stat(abs).catch(() => undefined));
    const byPath = await database.findByImagePath(abs);
    if (!st) return byPath;
    const candidates = st.nlink > 1 ? await database.list() : await database.findByFileName(path.basename(abs));
    const found = new Map(byPath.map((r) => [r.id, r]));
    for (const r of candidates) {
      if (found.has(r.id) || !r.image) continue;
      const other = await fs.stat(r.image).catch(() => undefined);
      if (other && sameInode(other, st)) found.set(r.id, r);
    }
    return [...found.values()];
  }

  /**
   * The database folder's SQLite names and storage's hidden folders (`.tmp`, its journal) are refused however
   * they are spelled. The target's nearest existing folders are compared
   * by device + inode, so a symlink or a bind mount of the folder is recognised too.
   */
  private async refuseCatalogueFolders(file: string, refuse: (problem: string, fix: string) => never): Promise<void> {
    const root = await identity(this.storageRoot);
    const hidden = await this.hiddenFolders();
    const dbDir = this.databaseFile ? await identity(path.dirname(path.resolve(this.databaseFile))) : undefined;
    const dbNames = this.databaseFile ? DATABASE_SUFFIXES.map((s) => `${path.basename(this.databaseFile!)}${s}`) : [];
    let below = path.basename(file);
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
      const id = await identity(dir);
      if (id) {
        if (dir === path.dirname(file) && dbDir && sameInode(id, dbDir) && dbNames.includes(below)) {
          refuse("is one of the catalogue's database files", 'choose another path (the database is SREGISTRY_DATABASE)');
        }
        if (root && sameInode(id, root) && below.startsWith('.')) {
          refuse("lies in the storage folder's hidden folders, which sregistry manages and cleans", 'choose another path');
        }
        if (hidden.some((h) => sameInode(h, id))) {
          refuse("lies in the storage folder's hidden folders, which sregistry manages and cleans", 'choose another path');
        }
      }
      if (dir === path.dirname(dir)) return;
      below = path.basename(dir);
    }
  }

  /** The folders directly in the storage root whose names start with `.`, and the journal inside `.tmp`. */
  private async hiddenFolders(): Promise<Identity[]> {
    const names = await fs.readdir(this.storageRoot).catch(() => [] as string[]);
    const dirs = names.filter((n) => n.startsWith('.')).map((n) => path.join(this.storageRoot, n));
    dirs.push(path.join(this.storageRoot, TEMP_DIR_NAME, JOURNAL_DIR_NAME));
    const ids = await Promise.all(dirs.map(identity));
    return ids.filter((id): id is Identity => id !== undefined);
  }

  private async isDatabaseFile(stat: Stats): Promise<boolean> {
    if (!this.databaseFile) return false;
    for (const suffix of DATABASE_SUFFIXES) {
      const id = await identity(`${path.resolve(this.databaseFile)}${suffix}`);
      if (id && sameInode(id, stat)) return true;
    }
    return false;
  }
}

async function identity(p: string): Promise<Identity | undefined> {
  const st = await fs.stat(p).catch(() => undefined);
  return st ? { dev: st.dev, ino: st.ino } : undefined;
}

function sameInode(a: Identity, b: Identity): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** What a path that is not a regular file is, for a message (`a folder`, `a FIFO`, …). */
export function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'a special file';
}
