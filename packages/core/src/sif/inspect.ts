import fs from 'node:fs/promises';
import { classifyPrefix, DETECT_PREFIX_BYTES, detectImageFormat } from './detect';
import { withImageFile } from './file-reader';
import { gunzipPrefix } from './gzip-peek';
import { EXT_SUPERBLOCK_OFFSET, EXT_SUPERBLOCK_SIZE } from './legacy-formats';
import { readSif } from './read-sif';
import type { ImageFormatInfo, ImageInspection, OtherImageInspection } from './types';

/**
 * Everything that can be learned about an image file without a container runtime: the full SifInfo for a
 * SIF, otherwise the detected format with its size (and, for gzip, the format of what it contains).
 */
export async function inspectImage(path: string): Promise<ImageInspection> {
  const detected = await detectImageFormat(path);
  if (detected.format === 'sif') return readSif(path);
  if (detected.format === 'directory') return { ...detected, path, size: null };
  const size = (await fs.stat(path)).size;
  const result: OtherImageInspection = { ...detected, path, size };
  if (detected.format === 'gzip') result.inner = await detectInsideGzip(path);
  return result;
}

// Enough decompressed bytes to cover the prefix and an ext superblock shifted by a launch line.
const INNER_BYTES = DETECT_PREFIX_BYTES + EXT_SUPERBLOCK_OFFSET + EXT_SUPERBLOCK_SIZE;

async function detectInsideGzip(path: string): Promise<Exclude<ImageFormatInfo, { format: 'directory' }> | null> {
  return withImageFile(path, undefined, async (file) => {
    const inner = await gunzipPrefix(file, INNER_BYTES);
    if (inner === null) return null;
    // A short result means the stream ended, so its size is known; otherwise finding it would mean inflating
    // everything, and the squashfs "complete" check is given the benefit of the doubt.
    const size = inner.length < INNER_BYTES ? inner.length : Number.MAX_SAFE_INTEGER;
    const info = await classifyPrefix(inner.subarray(0, DETECT_PREFIX_BYTES), size, async (offset, length) =>
      inner.subarray(offset, offset + length),
    );
    if (info.format === 'directory') return null;
    return { ...info, bytesRead: file.bytesRead };
  });
}
