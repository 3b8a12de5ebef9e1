const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** `November 07, 2026`, the date shape of the original's `images` table (UTC). */
export function longDate(date: Date): string {
  return `${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, '0')}, ${date.getUTCFullYear()}`;
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, as SQLite's CURRENT_TIMESTAMP stores it. */
export function sqlDate(date: Date): string {
  return date.toISOString().replace('T', ' ').slice(0, 19);
}

/** One numbered table row: the number left-justified to width 2, a space, then the cells joined by TAB. */
export function tableRow(index: number, cells: readonly string[]): string {
  return `${String(index + 1).padEnd(2)} ${cells.join('\t')}`;
}

export function tableLines(rows: readonly (readonly string[])[]): string[] {
  return rows.map((cells, i) => tableRow(i, cells));
}

/** JSON with sorted keys and 4-space indent, as the original prints records. */
export function sortedJson(value: unknown, indent = 4): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}
