// Text from outside (a server's answer, a file's metadata, the user's own arguments echoed back) is shown only
// through these functions: credentials masked (transfer/redact.ts), control characters escaped so nothing
// reaches the terminal as a command (colours, OSC 8 links, clear-screen, window titles, bidi reordering) and a
// newline cannot forge another `ERROR` line, and long text capped. One rule for error lines, tables and --json.
import { CREDENTIAL_WORDS, redactText } from '../transfer/redact';

/**
 * C0 and C1 controls, DEL, the Unicode line/paragraph separators and the bidi marks, embeddings, overrides and
 * isolates (the "Trojan Source" characters).
 */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same, minus newline and tab: for output whose layout we make ourselves (tables, JSON documents). */
const CONTROLS_BUT_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** What one piece of untrusted text may take of a message line. */
export const PRINTABLE_MAX = 200;

// `\u001b`: readable, and a valid escape inside a JSON string, so escaped JSON stays JSON.
const asEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Control characters as `\u001b`-style escapes; `keepLayout` leaves newline and tab alone. */
export function escapeControls(text: string, options: { keepLayout?: boolean } = {}): string {
  return text.replace(options.keepLayout ? CONTROLS_BUT_LAYOUT : CONTROLS, asEscape);
}

/**
 * Untrusted text made safe for one line of output: secrets masked, every control character escaped, at most
 * `max` characters of the original (default 200; 0 = no cap) with the number of the rest.
 */
export function printable(value: unknown, options: { max?: number } = {}): string {
  const max = options.max ?? PRINTABLE_MAX;
  const text = redactText(value === undefined || value === null ? '' : String(value));
  if (max <= 0 || text.length <= max) return escapeControls(text);
  // never split a surrogate pair
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${escapeControls(text.slice(0, end))}… (${text.length - end} more characters)`;
}

/**
 * Field names whose values are credentials wherever they appear (e.g. `pushSecret` in a library manifest): the
 * credential words anywhere in the name, and the two header names only whole (`authorizationUrl` is an address).
 */
const SECRET_KEY = new RegExp(`${CREDENTIAL_WORDS}|^authori[sz]ation$|^cookie$`, 'i');
/**
 * A secret-named field that says where a secret is kept (`secretsFile`, `tokenPath`) holds a path, not the secret:
 * `backend status --json` printed its secrets file as `***`. Its text is still redacted like any string.
 */
const NAMES_A_PLACE = /(?:file|path)$/i;
/** Deeper than any real manifest; a hostile one nested thousands deep would overflow JSON.stringify. */
export const MAX_JSON_DEPTH = 64;
const TOO_DEEP = `[nested deeper than ${MAX_JSON_DEPTH} levels: left out]`;

/**
 * A copy of a JSON value fit to print or store: strings redacted (redactText), values of secret-named fields
 * masked, and anything nested deeper than MAX_JSON_DEPTH replaced by a note. `onTooDeep` hears of the cut.
 * Iterative, so a hostile depth cannot overflow the stack here either.
 */
export function redactJson(value: unknown, onTooDeep?: () => void): unknown {
  const root: { v: unknown } = { v: undefined };
  const stack: { from: unknown; put: (v: unknown) => void; depth: number }[] = [{ from: value, put: (v) => (root.v = v), depth: 0 }];
  let cut = false;
  while (stack.length > 0) {
    const { from, put, depth } = stack.pop()!;
    if (typeof from === 'string') put(redactText(from));
    else if (from === null || typeof from !== 'object' || from instanceof Date) put(from);
    else if (depth >= MAX_JSON_DEPTH) {
      cut = true;
      put(TOO_DEEP);
    } else if (Array.isArray(from)) {
      const copy: unknown[] = new Array(from.length);
      put(copy);
      from.forEach((item, i) => {
        stack.push({ from: item, put: (v) => (copy[i] = v), depth: depth + 1 });
      });
    } else {
      const copy: Record<string, unknown> = {};
      put(copy);
      for (const [key, item] of Object.entries(from as Record<string, unknown>)) {
        // assigned now so the copy keeps the key order; filled in when its turn comes
        const secret = SECRET_KEY.test(key) && !NAMES_A_PLACE.test(key);
        copy[key] = secret && (typeof item === 'string' || typeof item === 'number') ? '***' : null;
        if (copy[key] === null) stack.push({ from: item, put: (v) => (copy[key] = v), depth: depth + 1 });
      }
    }
  }
  if (cut) onTooDeep?.();
  return root.v;
}

/** The --json document: redacted (redactJson), 2-space indent, control characters that JSON leaves raw escaped. */
export function jsonText(value: unknown): string {
  return escapeControls(JSON.stringify(redactJson(value), null, 2) ?? 'null', { keepLayout: true });
}
