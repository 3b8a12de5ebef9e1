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
  if (!value) return LEVELS.INFO;
  const upper = value.trim().toUpperCase();
  if (upper in LEVELS) return LEVELS[upper as LevelName];
  const n = Number(upper);
  return Number.isInteger(n) ? n : LEVELS.INFO;
}
