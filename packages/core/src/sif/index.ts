// SIF reader and image format detection (hub-sif-library.md PART B). Pure TypeScript, reads only headers
// and small metadata objects.
export { DataType, FsType, GO_ZERO_TIME, PartType } from './constants';
export { classifyPrefix, detectImageFormat } from './detect';
export { archName, dataTypeName, fsTypeName, hashTypeName, partTypeName, sbomFormatName, squashfsCompressorName } from './enums';
export { inspectImage } from './inspect';
export { type ReadSifOptions, readSif } from './read-sif';
export type * from './types';
