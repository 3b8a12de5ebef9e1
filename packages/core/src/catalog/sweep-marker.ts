import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

export function sweepDue(marker: string, intervalMs = DEFAULT_TEMP_MAX_AGE_MS): boolean {
  try {
    return Date.now() - statSync(marker).mtimeMs > Math.min(intervalMs, DEFAULT_TEMP_MAX_AGE_MS);
  } catch {
    return true;
  }
}

export function markSwept(marker: string): void {
  try {
    mkdirSync(path.dirname(marker), { recursive: true });
    writeFileSync(marker, `${new Date().toISOString()}\n`, { mode: 0o644 });
  } catch {
    // a read-only storage folder only means the next open sweeps again
  }
}

/** Earlier versions kept the marker as `<database>-sweep`, beside the user's database: removed on the next sweep. */
export function removeLegacyMarker(databaseFile: string): void {
  rmSync(`${path.resolve(databaseFile)}-sweep`, { force: true });
}
