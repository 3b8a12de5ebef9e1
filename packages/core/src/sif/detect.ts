import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import nodePath from 'node:path';
import { cString } from './binary';
import { H, MAGIC, SUPPORTED_VERSION } from './constants';
import { fileError } from './errors';
import { withImageFile } from './file-reader';
import {
  EXT_SUPERBLOCK_OFFSET,
  EXT_SUPERBLOCK_SIZE,
  ext3Problem,
  isExtSuperblock,
  isGzip,
  isSquashfs,
  launchLineEnd,
  parseExtSuperblock,
  parseGzipHeader,
  parseSquashfsSuperblock,
  SQUASHFS_SUPERBLOCK_SIZE,
} from './legacy-formats';
import type { ImageFormatInfo } from './types';

/** B.12: the decision is made on the first 2 KiB (plus, at most, the ext superblock when a launch line shifts it). */
export const DETECT_PREFIX_BYTES = 2048;

/** Random access to the bytes being classified: a file, or an in-memory decompressed prefix. */
export type ReadAt = (offset: number, length: number) => Promise<Buffer>;

/**
 * What kind of Singularity image `path` is, in the order that matters (B.12): directory, SIF, squashfs/simg,
 * ext3, gzip. A missing or unreadable path is a UserError; any readable content gets an answer.
 */
export async function detectImageFormat(path: string): Promise<ImageFormatInfo> {
  let stat: Stats;
  try {
    stat = await fs.stat(path);
  } catch (error) {
    throw fileError(path, error);
  }
  if (stat.isDirectory()) {
    const singularityDir = await fs.stat(nodePath.join(path, '.singularity.d')).then(
      (s) => s.isDirectory(),
      () => false,
    );
    return { format: 'directory', offset: 0, bytesRead: 0, details: { singularityDir } };
  }
  return withImageFile(path, undefined, async (file) => {
    const prefix = await file.read(0, DETECT_PREFIX_BYTES);
    const info = await classifyPrefix(prefix, file.size, (offset, length) => file.read(offset, length));
    return { ...info, bytesRead: file.bytesRead };
  });
}

/**
 * Classifies content from its first bytes. `size` is the full length of the content (for the completeness
 * check of a squashfs); `readAt` fetches the ext superblock when it lies beyond the prefix.
 */
export async function classifyPrefix(prefix: Buffer, size: number, readAt: ReadAt): Promise<ImageFormatInfo> {
  const base = { offset: 0, bytesRead: 0 };
  if (prefix.length === 0) return { ...base, format: 'unknown', details: { reason: 'the file is empty' } };

  // A SIF also starts with the run-singularity line, so it must be recognised before the legacy formats.
  if (prefix.subarray(H.magic, H.magic + MAGIC.length).equals(MAGIC)) {
    const version = prefix.length >= H.version + 3 ? cString(prefix, H.version, 3, 'latin1') : '';
    return {
      ...base,
      format: 'sif',
      details: { version, supportedVersion: version === SUPPORTED_VERSION, launchScript: cString(prefix, H.launchScript, 32, 'latin1') },
    };
  }

  const offset = launchLineEnd(prefix);
  if (offset === null) {
    if (isGzip(prefix)) return { ...base, format: 'gzip', details: parseGzipHeader(prefix) };
    return { ...base, format: 'unknown', details: { reason: 'a run-singularity line that never ends' } };
  }
  const launchScript = offset > 0;

  const fs0 = prefix.subarray(offset);
  if (isSquashfs(fs0)) {
    if (fs0.length < SQUASHFS_SUPERBLOCK_SIZE) {
      return { ...base, offset, format: 'unknown', details: { reason: 'a squashfs magic with a truncated superblock' } };
    }
    return { ...base, offset, format: 'squashfs', details: parseSquashfsSuperblock(fs0, offset, size, launchScript) };
  }

  const sbStart = offset + EXT_SUPERBLOCK_OFFSET;
  if (sbStart + 58 <= size) {
    const sb =
      sbStart + EXT_SUPERBLOCK_SIZE <= prefix.length
        ? prefix.subarray(sbStart, sbStart + EXT_SUPERBLOCK_SIZE)
        : await readAt(sbStart, EXT_SUPERBLOCK_SIZE);
    if (isExtSuperblock(sb) && sb.length >= 104 + 32) {
      const details = parseExtSuperblock(sb, launchScript);
      const problem = ext3Problem(details);
      if (problem === null) return { ...base, offset, format: 'ext3', details };
      return { ...base, offset, format: 'unknown', details: { reason: problem } };
    }
  }

  if (isGzip(prefix)) return { ...base, format: 'gzip', details: parseGzipHeader(prefix) };
  // the offset still says where a file system would start, which helps when reporting what follows a launch line
  return { ...base, offset, format: 'unknown', details: { reason: 'not a SIF, squashfs, ext3 or gzip image' } };
}
