import { cString, int64, timeFromSeconds, uuidString } from './binary';
import { DESCRIPTOR_SIZE, H, HEADER_SIZE, MAGIC, MAX_DESCRIPTORS, SUPPORTED_VERSION } from './constants';
import { archName } from './enums';
import { invalidSif } from './errors';
import type { SifHeader } from './types';

/**
 * Decodes and checks the 128-byte global header (B.1). Everything that would make later reads go wrong
 * (bad magic or version, a descriptor table or data area outside the file, absurd counts) is refused here.
 */
export function parseHeader(buffer: Buffer, path: string, fileSize: number): SifHeader {
  if (fileSize === 0) throw invalidSif(path, 'the file is empty');
  if (buffer.length < HEADER_SIZE) {
    throw invalidSif(path, `the file is ${fileSize} bytes, shorter than the ${HEADER_SIZE}-byte SIF header`);
  }
  if (!buffer.subarray(H.magic, H.magic + MAGIC.length).equals(MAGIC)) throw invalidSif(path, 'no SIF_MAGIC at offset 32');
  const version = cString(buffer, H.version, 3, 'latin1');
  if (version !== SUPPORTED_VERSION || buffer[H.version + 2] !== 0) {
    throw invalidSif(path, `unsupported SIF version ${JSON.stringify(version)} (only "${SUPPORTED_VERSION}" is supported)`);
  }

  const field = (name: keyof typeof H): number => {
    const value = int64(buffer, H[name]);
    if (value === null || value < 0) throw invalidSif(path, `the header field "${name}" holds an impossible value`);
    return value;
  };
  const total = field('descriptorsTotal');
  const free = field('descriptorsFree');
  const descriptorsOffset = field('descriptorsOffset');
  const descriptorsSize = field('descriptorsSize');
  const dataOffset = field('dataOffset');
  const dataSize = field('dataSize');

  if (total > MAX_DESCRIPTORS) throw invalidSif(path, `the header claims ${total} descriptors (at most ${MAX_DESCRIPTORS} are accepted)`);
  if (free > total) throw invalidSif(path, `the header claims ${free} free descriptors out of ${total}`);
  if (descriptorsOffset < HEADER_SIZE) throw invalidSif(path, `the descriptor table at offset ${descriptorsOffset} overlaps the header`);
  const tableEnd = descriptorsOffset + total * DESCRIPTOR_SIZE;
  if (tableEnd > fileSize) {
    throw invalidSif(path, `the descriptor table ends at byte ${tableEnd} but the file has only ${fileSize} bytes (truncated?)`);
  }
  if (dataOffset + dataSize > fileSize) {
    throw invalidSif(path, `the data area ends at byte ${dataOffset + dataSize} but the file has only ${fileSize} bytes (truncated?)`);
  }

  const archCode = cString(buffer, H.arch, 3, 'latin1');
  return {
    launchScript: cString(buffer, H.launchScript, 32, 'latin1'),
    magic: 'SIF_MAGIC',
    version,
    archCode,
    arch: archName(archCode),
    uuid: uuidString(buffer.subarray(H.uuid, H.uuid + 16)),
    createdAt: timeFromSeconds(int64(buffer, H.createdAt)),
    modifiedAt: timeFromSeconds(int64(buffer, H.modifiedAt)),
    descriptorsFree: free,
    descriptorsTotal: total,
    descriptorsOffset,
    descriptorsSize,
    dataOffset,
    dataSize,
  };
}
