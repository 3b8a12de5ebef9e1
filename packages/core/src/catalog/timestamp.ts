/** The original's timestamp text: UTC, second precision, no zone ("YYYY-MM-DD HH:MM:SS"). */
export function formatTimestamp(date: Date = new Date()): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Reads the stored text back as UTC (SQLite's CURRENT_TIMESTAMP and the Python client write UTC); null for a row
 * without a date (the original's column allows NULL), which lists with an empty date rather than as 1970, and for
 * text whose fields are out of range ('2026-13-45 99:99:99'): Date.UTC would roll those over into a date the row
 * never had (February 18, 2027).
 */
export function parseTimestamp(value: unknown): Date | null {
  if (value instanceof Date) return value;
  if (typeof value === 'string') {
    const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?/.exec(value);
    if (m) {
      const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
      const fields = [+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)] as const;
      const date = new Date(Date.UTC(...fields, ms));
      const back = [
        date.getUTCFullYear(),
        date.getUTCMonth(),
        date.getUTCDate(),
        date.getUTCHours(),
        date.getUTCMinutes(),
        date.getUTCSeconds(),
      ];
      return back.every((field, i) => field === fields[i]) ? date : null;
    }
  }
  return null;
}
