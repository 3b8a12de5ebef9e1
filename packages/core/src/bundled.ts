/**
 * A part of core that the build bundles into one file (scripts/bundle.js) when that file exists, else the same
 * code as separate modules (sources run through tsx have no bundle). Callers pass both requires, since a require
 * path is resolved from the file it is written in. Only a missing bundle falls back; any other error is real.
 */
export function requireBundled<T>(bundle: () => unknown, bundleName: string, modules: () => unknown): T {
  try {
    return bundle() as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !String((error as Error).message).includes(bundleName)) throw error;
    return modules() as T;
  }
}
