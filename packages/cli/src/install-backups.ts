// `plugins install` of a plugin installed before keeps the data folder's node_modules in a backup folder until the
// install is over (commands/plugins/install.ts). A process that died meanwhile (killed, a crash) leaves that
// copy behind: every plugins command removes the backups of processes that are gone, so they do not pile up.
import fs from 'node:fs';
import path from 'node:path';

const PREFIX = '.install-backup-';

/** The prefix of this process's backup folders (mkdtemp adds the random part): the pid says whose it is. */
export function backupPrefix(dataDir: string): string {
  return path.join(dataDir, `${PREFIX}${process.pid}-`);
}

/** Before backups named their process, one that old can only be a leftover. */
const UNNAMED_STALE_MS = 60 * 60 * 1000;

/** Removes the backups whose process has ended (best effort: a folder that cannot be removed is left for next time). */
export function dropStaleBackups(dataDir: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(dataDir).filter((name) => name.startsWith(PREFIX));
  } catch {
    return;
  }
  for (const name of entries) {
    const full = path.join(dataDir, name);
    const pid = /^\.install-backup-(\d+)-/.exec(name)?.[1];
    try {
      if (pid ? alive(Number(pid)) : Date.now() - fs.statSync(full).mtimeMs < UNNAMED_STALE_MS) continue;
      fs.rmSync(full, { recursive: true, force: true });
    } catch {
      // another process removed it first, or it is not ours to remove
    }
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: a process of another user has that pid; not provably gone
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
