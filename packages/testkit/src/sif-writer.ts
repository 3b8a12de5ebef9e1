/**
 * Fixture writers for SIF and legacy Singularity images (hub-sif-library.md B.1–B.6, B.12, B.14), so tests
 * need neither Singularity/Apptainer nor apt packages. Output is deterministic: the same options always give
 * the same bytes (no clock, no random UUID unless asked for).
 */
export { EXT_MAGIC, type FakeExt3Options, fakeExt3 } from './fixtures/ext3';
export * from './fixtures/legacy-images';
export * from './fixtures/sample-sif';
export * from './fixtures/sif-file';
export * from './fixtures/sif-layout';
export { type FakeSquashfsOptions, fakeSquashfs, SQUASHFS_COMPRESSOR } from './fixtures/squashfs';
