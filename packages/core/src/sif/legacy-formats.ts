import { cString, timeFromSeconds } from './binary';
import { squashfsCompressorName } from './enums';
import type { Ext3Details, GzipDetails, SquashfsDetails } from './types';

/** `hsqs`: the squashfs superblock magic, 0x73717368 little-endian (B.12). */
const SQUASHFS_MAGIC = 0x73717368;
export const SQUASHFS_SUPERBLOCK_SIZE = 96;

/** The ext2/3/4 superblock sits 1024 bytes into the file system; its magic 0xEF53 is 56 bytes into it. */
export const EXT_SUPERBLOCK_OFFSET = 1024;
export const EXT_SUPERBLOCK_SIZE = 1024;
const EXT_MAGIC = 0xef53;
const EXT_COMPAT_HAS_JOURNAL = 0x4;
// What Apptainer accepts as ext3 (B.12): anything else is ext4 or unknown and is not mounted.
const EXT3_INCOMPAT_ALLOWED = 0x2 | 0x4 | 0x10; // filetype | recover | meta_bg
const EXT3_RO_COMPAT_ALLOWED = 0x1 | 0x2 | 0x4; // sparse_super | large_file | btree_dir

/**
 * Where a legacy image's file system starts: right after the newline that ends a ` run-singularity` launch
 * line (offset 31 for the standard line), or 0 when there is none. null when the line never ends.
 */
export function launchLineEnd(prefix: Buffer): number | null {
  const marker = prefix.indexOf(' run-singularity', 0, 'latin1');
  if (marker <= 0) return 0;
  const newline = prefix.indexOf(0x0a, marker);
  return newline === -1 ? null : newline + 1;
}

export function isSquashfs(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.readUInt32LE(0) === SQUASHFS_MAGIC;
}

/** Fields of the 96-byte squashfs superblock that tell what kind of image it is (B.13). */
export function parseSquashfsSuperblock(sb: Buffer, offset: number, fileSize: number, launchScript: boolean): SquashfsDetails {
  const bytesUsed = Number(sb.readBigUInt64LE(40));
  return {
    launchScript,
    inodeCount: sb.readUInt32LE(4),
    mkfsTime: timeFromSeconds(sb.readUInt32LE(8)),
    blockSize: sb.readUInt32LE(12),
    compressor: sb.readUInt16LE(20),
    compressorName: squashfsCompressorName(sb.readUInt16LE(20)),
    versionMajor: sb.readUInt16LE(28),
    versionMinor: sb.readUInt16LE(30),
    bytesUsed,
    complete: offset + bytesUsed <= fileSize,
  };
}

export function isExtSuperblock(sb: Buffer): boolean {
  return sb.length >= 58 && sb.readUInt16LE(56) === EXT_MAGIC;
}

export function parseExtSuperblock(sb: Buffer, launchScript: boolean): Ext3Details {
  const featureCompat = sb.readUInt32LE(92);
  return {
    launchScript,
    hasJournal: (featureCompat & EXT_COMPAT_HAS_JOURNAL) !== 0,
    featureCompat,
    featureIncompat: sb.readUInt32LE(96),
    featureRoCompat: sb.readUInt32LE(100),
    blockSize: 1024 * 2 ** Math.min(sb.readUInt32LE(24), 16),
    blocksCount: sb.readUInt32LE(4),
    volumeName: cString(sb, 120, 16),
  };
}

/** Why an ext file system is not the ext3 Apptainer mounts, or null when it is. */
export function ext3Problem(details: Ext3Details): string | null {
  if (!details.hasJournal) return 'an ext2 file system without a journal (not an ext3 image)';
  if ((details.featureIncompat & ~EXT3_INCOMPAT_ALLOWED) !== 0) {
    return `an ext file system with features ext3 does not have (incompat 0x${details.featureIncompat.toString(16)}; ext4?)`;
  }
  if ((details.featureRoCompat & ~EXT3_RO_COMPAT_ALLOWED) !== 0) {
    return `an ext file system with features ext3 does not have (ro_compat 0x${details.featureRoCompat.toString(16)}; ext4?)`;
  }
  return null;
}

export function isGzip(prefix: Buffer): boolean {
  return prefix.length >= 2 && prefix[0] === 0x1f && prefix[1] === 0x8b;
}

/** The gzip member header (RFC 1952): method, mtime and, when recorded, the original file name. */
export function parseGzipHeader(prefix: Buffer): GzipDetails {
  const flags = prefix[3] ?? 0;
  const mtime = prefix.length >= 8 ? prefix.readUInt32LE(4) : 0;
  let originalName: string | null = null;
  let pos = 10;
  if (flags & 0x04 && prefix.length >= pos + 2) pos += 2 + prefix.readUInt16LE(pos); // FEXTRA
  if (flags & 0x08 && pos < prefix.length) {
    const end = prefix.indexOf(0, pos);
    if (end !== -1) originalName = prefix.subarray(pos, end).toString('latin1');
  }
  return { method: prefix[2] ?? 0, mtime: mtime === 0 ? null : timeFromSeconds(mtime), originalName };
}
