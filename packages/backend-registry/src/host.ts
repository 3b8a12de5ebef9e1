import { createRequire } from 'node:module';
import type * as CommandApi from '@sregistry/core/command';

/**
 * The CLI's own @sregistry/core. The plugin declares core as a peer so that installing it never brings a
 * second copy (and a second native SQLite build); at run time it is found from the CLI's entry point, and
 * from the plugin's own dependencies only in development (a workspace, `oclif manifest`).
 */
export function hostCommandApi(): typeof CommandApi {
  const entries = [require.main?.filename, process.argv[1]].filter((p): p is string => Boolean(p));
  for (const entry of entries) {
    try {
      return createRequire(entry)('@sregistry/core/command') as typeof CommandApi;
    } catch {
      // not resolvable from there: try the next place
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@sregistry/core/command') as typeof CommandApi;
}
