import type Levenshtein from 'fast-levenshtein';

/**
 * The candidate nearest to what was typed (`imgaes` → `images`, `--nmae` → `--name`), by the same edit distance
 * @oclif/plugin-not-found uses; undefined when even the nearest is too far to be a typo (more than a third of
 * the word, and at least two edits, changed).
 */
export function nearest(typed: string, candidates: Iterable<string>): string | undefined {
  // loaded here: only a mistyped name needs it, not every command that imports this module
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const levenshtein = require('fast-levenshtein') as typeof Levenshtein;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of new Set(candidates)) {
    const distance = levenshtein.get(typed, candidate);
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  if (!best) return undefined;
  return best.distance <= Math.max(2, Math.floor(typed.length / 3)) ? best.candidate : undefined;
}
