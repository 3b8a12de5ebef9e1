import { cString, int64, timeFromSeconds } from './binary';
import { D, DataType, DESCRIPTOR_SIZE, EXTRA_SIZE, GROUP_FLAG, GROUP_MASK, NAME_SIZE } from './constants';
import {
  archName,
  cryptoFormatName,
  cryptoMessageName,
  dataTypeName,
  fsTypeName,
  hashTypeName,
  partTypeName,
  sbomFormatName,
} from './enums';
import { invalidSif } from './errors';
import type { SifDescriptor, SifLink } from './types';

/**
 * Decodes the used slots of the descriptor table (B.2) and their type-specific "extra" field (B.5).
 * Every object must lie inside the file: a descriptor pointing past the end means a truncated or corrupt file.
 */
export function parseDescriptors(table: Buffer, path: string, fileSize: number): { descriptors: SifDescriptor[]; warnings: string[] } {
  const descriptors: SifDescriptor[] = [];
  const warnings: string[] = [];
  const seenIds = new Set<number>();
  const slots = Math.floor(table.length / DESCRIPTOR_SIZE);
  for (let slot = 0; slot < slots; slot++) {
    const raw = table.subarray(slot * DESCRIPTOR_SIZE, (slot + 1) * DESCRIPTOR_SIZE);
    if (raw[D.used] === 0) continue; // unused slots are skipped whatever else they hold
    const descriptor = parseDescriptor(raw, slot, path, fileSize);
    if (seenIds.has(descriptor.id)) warnings.push(`object id ${descriptor.id} is used by more than one descriptor`);
    seenIds.add(descriptor.id);
    if (descriptor.sizeWithPadding < descriptor.size) {
      warnings.push(`object ${descriptor.id} has a padded size (${descriptor.sizeWithPadding}) smaller than its size (${descriptor.size})`);
    }
    descriptors.push(descriptor);
  }
  return { descriptors, warnings };
}

function parseDescriptor(raw: Buffer, slot: number, path: string, fileSize: number): SifDescriptor {
  const type = raw.readInt32LE(D.dataType);
  const id = raw.readUInt32LE(D.id);
  const where = `descriptor ${slot + 1} (object id ${id})`;
  const number = (field: 'offset' | 'size' | 'sizeWithPadding'): number => {
    const value = int64(raw, D[field]);
    if (value === null || value < 0) throw invalidSif(path, `${where} has an impossible ${field}`);
    return value;
  };
  const offset = number('offset');
  const size = number('size');
  const sizeWithPadding = number('sizeWithPadding');
  if (offset + size > fileSize) {
    throw invalidSif(path, `${where} ends at byte ${offset + size} but the file has only ${fileSize} bytes (truncated?)`);
  }

  const descriptor: SifDescriptor = {
    slot,
    type,
    typeName: dataTypeName(type),
    id,
    groupId: raw.readUInt32LE(D.groupId) & GROUP_MASK,
    link: decodeLink(raw.readUInt32LE(D.link)),
    offset,
    size,
    sizeWithPadding,
    name: cString(raw, D.name, NAME_SIZE),
    createdAt: timeFromSeconds(int64(raw, D.createdAt)),
    modifiedAt: timeFromSeconds(int64(raw, D.modifiedAt)),
  };
  decodeExtra(descriptor, raw.subarray(D.extra, D.extra + EXTRA_SIZE));
  return descriptor;
}

/** 0 is "no link"; a set top nibble means the low 28 bits are a group, otherwise they are an object id. */
export function decodeLink(value: number): SifLink | null {
  if (value === 0) return null;
  if ((value & GROUP_FLAG) >>> 0 === GROUP_FLAG) return { type: 'group', groupId: value & GROUP_MASK };
  return { type: 'object', id: value };
}

function decodeExtra(descriptor: SifDescriptor, extra: Buffer): void {
  switch (descriptor.type) {
    case DataType.Partition: {
      const fsType = extra.readInt32LE(0);
      const partType = extra.readInt32LE(4);
      const archCode = cString(extra, 8, 3, 'latin1');
      descriptor.partition = {
        fsType,
        fsTypeName: fsTypeName(fsType),
        partType,
        partTypeName: partTypeName(partType),
        archCode,
        arch: archName(archCode),
      };
      break;
    }
    case DataType.Signature: {
      const hashType = extra.readInt32LE(0);
      const entity = extra.subarray(4, 24);
      descriptor.signature = {
        hashType,
        hashName: hashTypeName(hashType),
        fingerprint: entity.some((byte) => byte !== 0) ? entity.toString('hex').toUpperCase() : null,
      };
      break;
    }
    case DataType.CryptoMessage: {
      const format = extra.readInt32LE(0);
      const messageType = extra.readInt32LE(4);
      descriptor.cryptoMessage = {
        format,
        formatName: cryptoFormatName(format),
        messageType,
        messageTypeName: cryptoMessageName(messageType),
      };
      break;
    }
    case DataType.SBOM: {
      const format = extra.readInt32LE(0);
      descriptor.sbom = { format, formatName: sbomFormatName(format) };
      break;
    }
    case DataType.OCIRootIndex:
    case DataType.OCIBlob:
      descriptor.ociDigest = cString(extra, 0, EXTRA_SIZE, 'latin1');
      break;
    default:
      break; // the other types carry no extra data
  }
}
