// A fake Library API server (Sylabs library API; Singularity Registry Server's /v1 and /v2) with its object
// store on a second port, for library:// backend and CLI tests and benches.
export { parseImageRef } from './refs';
export { FROZEN_MESSAGE } from './routes/tags';
export { startLibraryServer } from './server';
export { LibraryState } from './state';
export type * from './types';
