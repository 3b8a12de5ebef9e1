import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_TEMP_MAX_AGE_MS, SWEEP_MARKER_NAME, TEMP_DIR_NAME } from '../storage/names';

/**
 * `<storage>/.tmp/last-sweep`: its mtime says when the storage tree was last swept for temp files. It lives in
 * storage's own hidden folder, not beside the database: the database folder is the user's (and the original's),
 * and the marker describes the storage tree anyway.
 */
export function sweepMarkerFor(storageDir: string): string {
  return path.join(path.resolve(storageDir), TEMP_DIR_NAME, SWEEP_MARKER_NAME);
}

/**
 * Whether the daily walk of storage for temp files is due. Never without `<storage>/.tmp`: every write makes it
 * before its first temp file (the ledger, the journal), so a storage without it holds no temp of ours, and a
 * read need not create it (see markSwept).
 */
export function sweepDue(marker: string, intervalMs = DEFAULT_TEMP_MAX_AGE_MS): boolean {
  try {
    return Date.now() - statSync(marker).mtimeMs > Math.min(intervalMs, DEFAULT_TEMP_MAX_AGE_MS);
  } catch {
    return existsSync(path.dirname(marker));
  }
}

/**
 * Records a sweep in `<storage>/.tmp/last-sweep`, in a `.tmp` that exists only: a read (`images`) must not create
 * it, since a folder made by whoever reads first has that user's owner and umask (root's 755 on a team storage
 * would refuse every other user's writes). Written to a file of its own then renamed, so anyone who may write in
 * `.tmp` replaces the marker whoever made it last.
 */
export function markSwept(marker: string): void {
  const temp = `${marker}.${process.pid}`;
  try {
    writeFileSync(temp, `${new Date().toISOString()}\n`, { mode: 0o644 });
    renameSync(temp, marker);
  } catch {
    // no .tmp (nothing written yet) or a read-only storage folder: the next open looks again
    rmSync(temp, { force: true });
  }
}

/** Earlier versions kept the marker as `<database>-sweep`, beside the user's database: removed on the next sweep. */
export function removeLegacyMarker(databaseFile: string): void {
  rmSync(`${path.resolve(databaseFile)}-sweep`, { force: true });
}
