// Read at run time so the published package always reports the version changesets gave it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const CORE_VERSION: string = require('../package.json').version;
