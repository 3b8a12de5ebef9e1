import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_TEMP_MAX_AGE_MS } from '../storage/names';

/** `<database>-sweep`: its mtime says when the storage tree was last swept for temp files. */
export function sweepMarkerFor(databaseFile: string): string {
  return `${path.resolve(databaseFile)}-sweep`;
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
    writeFileSync(marker, `${new Date().toISOString()}\n`, { mode: 0o644 });
  } catch {
    // a read-only database folder only means the next open sweeps again
  }
}
