export { cleanTempFiles } from './clean';
export { isInside, JOURNAL_DIR_NAME, TEMP_DIR_NAME } from './layout';
export { placeFile } from './place';
export { createStorage, DEFAULT_TEMP_MAX_AGE_MS, type FileStorage, storagePath } from './storage';
export { isTempFileName } from './temp-files';
