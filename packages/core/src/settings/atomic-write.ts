import fs from 'node:fs/promises';
import path from 'node:path';
import { removeStaleTempsBeside, tempBeside } from '../storage/temp-files';
import { pausePoint } from '../testing-hooks';

/**
 * Writes a whole file or nothing: temporary file in the same folder, fsync, rename, fsync of the folder.
 * A crash at any point leaves either the old content or the new one. A symbolic link is written through
 * (`~/.sregistry` linked into a dotfiles repository stays a link): the rename happens in the target's folder.
 */
export async function writeFileAtomic(given: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const file = await linkTarget(given);
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const tmp = tempBeside(file);
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode); // the umask may have narrowed or widened the mode given to open
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  pausePoint('atomic-write-before-rename');
  try {
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
  await syncDir(dir);
  // temps that killed writes of this file left (for the secrets file they hold a token)
  await removeStaleTempsBeside(file);
}

/** Where a chain of symbolic links ends (the target need not exist yet); `file` itself when it is no link. */
async function linkTarget(file: string): Promise<string> {
  let current = path.resolve(file);
  for (let hops = 0; hops < 40; hops++) {
    const stat = await fs.lstat(current).catch(() => undefined);
    if (!stat?.isSymbolicLink()) return current;
    current = path.resolve(path.dirname(current), await fs.readlink(current));
  }
  // what open() would say about a loop
  throw Object.assign(new Error(`ELOOP: too many symbolic links, ${file}`), { code: 'ELOOP', path: file });
}

export async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // some file systems cannot fsync a directory; the rename is still atomic there
  } finally {
    await handle?.close().catch(() => {});
  }
}
