// Dates as the real server renders them: Django's default TIME_ZONE (America/Chicago, never set by sregistry),
// ISO-8601 with microseconds and the local offset, e.g. `2026-11-26T23:30:03.471486-06:00`. Clients must parse
// the offset; serving UTC here would hide a client that assumes `Z`.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Microseconds since the epoch, so two saves in the same millisecond still differ like Django's do. */
export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** Python's `datetime.isoformat()` in the given zone: the fraction is omitted when it is zero. */
export function formatServerDate(micros: number, timeZone = 'America/Chicago'): string {
  const ms = Math.floor(micros / 1000);
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(ms))) parts[p.type] = p.value;
  const wallAsUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  const offsetMin = Math.round((wallAsUtc - Math.floor(ms / 1000) * 1000) / 60000);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  const frac = ((micros % 1_000_000) + 1_000_000) % 1_000_000;
  const fraction = frac === 0 ? '' : `.${String(frac).padStart(6, '0')}`;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${fraction}${offset}`;
}
