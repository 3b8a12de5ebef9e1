import { GO_ZERO_TIME } from './constants';

/** Little-endian int64 as a JS number, or null when it does not fit exactly (a sign of corruption, not a real size). */
export function int64(buffer: Buffer, offset: number): number | null {
  const value = buffer.readBigInt64LE(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) return null;
  return Number(value);
}

/** A NUL-terminated string in a fixed-size field. */
export function cString(buffer: Buffer, offset: number, length: number, encoding: BufferEncoding = 'utf8'): string {
  const field = buffer.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString(encoding);
}

/**
 * Unix seconds as a Date. Go's zero time (what deterministic builds store) and values JS cannot represent
 * become null, which callers show as "unset".
 */
export function timeFromSeconds(seconds: number | null): Date | null {
  if (seconds === null || seconds === GO_ZERO_TIME) return null;
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** RFC-4122 text form of 16 raw bytes stored in string order. */
export function uuidString(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * UTF-8 text from a buffer that may have been cut at a size cap: a multi-byte character split by the cut is
 * dropped instead of turning into U+FFFD.
 */
export function utf8Prefix(buffer: Buffer, truncated: boolean): string {
  if (!truncated) return buffer.toString('utf8');
  let end = buffer.length;
  let back = 0;
  // step back over continuation bytes (10xxxxxx) to the lead byte of the last character
  while (end - back - 1 >= 0 && back < 4 && (buffer[end - back - 1] & 0xc0) === 0x80) back++;
  const lead = buffer[end - back - 1];
  if (lead !== undefined && lead >= 0xc0) {
    const needed = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    if (back + 1 < needed) end -= back + 1;
  }
  return buffer.subarray(0, end).toString('utf8');
}
