import { printable } from './untrusted';

/** The original's message levels (client-spec §1.1); a message shows when its level ≤ the configured one. */
export const LEVELS = {
  ABORT: -5,
  CRITICAL: -4,
  ERROR: -3,
  WARNING: -2,
  LOG: -1,
  QUIET: 0,
  INFO: 1,
  VERBOSE: 2,
  VERBOSE1: 2,
  VERBOSE2: 3,
  VERBOSE3: 4,
  DEBUG: 5,
} as const;

export type LevelName = keyof typeof LEVELS;

/** MESSAGELEVEL accepts a level name or a number; anything else keeps the default (INFO). */
export function levelFromEnv(value: string | undefined): number {
  return parseLevel(value) ?? LEVELS.INFO;
}

function parseLevel(value: string | undefined): number | undefined {
  if (!value) return LEVELS.INFO;
  const upper = value.trim().toUpperCase();
  if (upper in LEVELS) return LEVELS[upper as LevelName];
  // a whole number from ABORT to DEBUG, written plainly: `0x1`, `1e0` or `100` are not levels
  if (!/^[+-]?\d+$/.test(upper)) return undefined;
  const n = Number(upper);
  return n >= LEVELS.ABORT && n <= LEVELS.DEBUG ? n : undefined;
}

// once per process, even when the CLI's fast path and then oclif both read it (they may load separate bundles)
const WARNED = Symbol.for('sregistry.messagelevel-warned');

/**
 * A MESSAGELEVEL that is no level is said once on stderr, naming the accepted values, instead of being taken as
 * INFO in silence (a typo such as `MESSAGELEVEL=quite` would otherwise look like a broken setting). For the CLI; a
 * library's Session reads the variable without printing.
 */
export function warnUnknownLevel(value: string | undefined, stderr: Pick<NodeJS.WriteStream, 'write'> = process.stderr): void {
  if (parseLevel(value) !== undefined) return;
  const state = globalThis as { [WARNED]?: boolean };
  if (state[WARNED]) return;
  state[WARNED] = true;
  stderr.write(
    `WARNING MESSAGELEVEL=${printable(String(value), { max: 40 })} is not a message level, INFO is used; ` +
      `set one of ${Object.keys(LEVELS).join(', ')}, or a number from ${LEVELS.ABORT} to ${LEVELS.DEBUG}\n`,
  );
}
