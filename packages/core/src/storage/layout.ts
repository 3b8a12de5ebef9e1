import path from 'node:path';

export { DEFAULT_TEMP_MAX_AGE_MS, JOURNAL_DIR_NAME, SWEEP_MARKER_NAME, TEMP_DIR_NAME } from './names';

/** True when `child` is `root` itself or lies below it (both absolute). */
export function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
