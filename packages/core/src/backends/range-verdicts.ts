// coreMismatch's semver verdicts, kept apart from compat.ts so that a host keeping them between runs (the CLI's
// src/range-verdicts.ts, `@sregistry/core/range-verdicts`) loads this file alone, not core's fast-path entry:
// every oclif command seeds them at start-up, `--help` included.

/**
 * coreMismatch's semver verdicts, by range and core version. A process's first range check costs 2-4 ms of regex
 * compilation in semver plus ~1.5 ms to load it (`node -e`, hrtime around the calls), in every command that finds
 * plugins; the verdict is a function of the two strings alone, so it can never go stale, and a host (the CLI) may
 * keep it between runs: `seed` takes what it kept, `added` says whether a check ran since.
 */
const verdicts = new Map<string, boolean>();
let verdictsAdded = false;

export const coreRangeVerdicts = {
  seed(entries: unknown): void {
    if (!Array.isArray(entries)) return;
    for (const entry of entries) {
      if (Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'boolean') verdicts.set(entry[0], entry[1]);
    }
  },
  entries(): [string, boolean][] {
    return [...verdicts];
  },
  added(): boolean {
    return verdictsAdded;
  },
};

/** The kept verdict for `key` (a range and a core version), if any. */
export function recallVerdict(key: string): boolean | undefined {
  return verdicts.get(key);
}

/** Keeps a verdict computed in this run; `added` then says so. */
export function rememberVerdict(key: string, fits: boolean): void {
  verdicts.set(key, fits);
  verdictsAdded = true;
}
