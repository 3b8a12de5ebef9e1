/**
 * Names inside a storage root. Everything that is not an image lives under `.tmp/` (same file system as the
 * images, so a rename from there is atomic); the catalogue's intent journal has its own sub-folder that
 * temp cleaning never touches. (No imports here: the catalogue's plain reader needs only these names.)
 */
export const TEMP_DIR_NAME = '.tmp';
export const JOURNAL_DIR_NAME = 'journal';
/** `<root>/.tmp/last-sweep`: when the storage tree was last swept (catalog/sweep-marker.ts); never cleaned away. */
export const SWEEP_MARKER_NAME = 'last-sweep';

/** Leftovers younger than this may belong to a transfer still running in another process. */
export const DEFAULT_TEMP_MAX_AGE_MS = 24 * 60 * 60 * 1000;
