import { D, DESCRIPTOR_SIZE, GROUP_FLAG, HEADER_SIZE } from '../constants';
import { parseDescriptors } from '../descriptor';
import type { ImageFile } from '../file-reader';
import { parseHeader } from '../header';
import type { SifDescriptor, SifHeader } from '../types';

/**
 * The parts of a SIF that signing and verification work on: the raw header and descriptor bytes (digests are
 * taken over raw fields) beside their decoded form.
 */
export interface SifLayout {
  header: SifHeader;
  headerRaw: Buffer;
  /** the whole descriptor table, used and free slots */
  tableRaw: Buffer;
  /** used descriptors in table order */
  descriptors: SifDescriptor[];
}

export async function readLayout(file: ImageFile): Promise<SifLayout> {
  const headerRaw = await file.read(0, HEADER_SIZE);
  const header = parseHeader(headerRaw, file.path, file.size);
  const tableRaw = await file.read(header.descriptorsOffset, header.descriptorsTotal * DESCRIPTOR_SIZE);
  const { descriptors } = parseDescriptors(tableRaw, file.path, file.size);
  return { header, headerRaw, tableRaw, descriptors };
}

export function rawDescriptor(layout: SifLayout, descriptor: SifDescriptor): Buffer {
  return layout.tableRaw.subarray(descriptor.slot * DESCRIPTOR_SIZE, (descriptor.slot + 1) * DESCRIPTOR_SIZE);
}

/** The stored GroupID with its flag: `0xF0000000` alone means "no group". */
export function rawGroupId(layout: SifLayout, descriptor: SifDescriptor): number {
  return rawDescriptor(layout, descriptor).readUInt32LE(D.groupId);
}

/** In-use descriptors of group `groupId` (signature objects included, as Go's group selection does). */
export function groupMembers(layout: SifLayout, groupId: number): SifDescriptor[] {
  return layout.descriptors.filter((d) => d.groupId === groupId && rawGroupId(layout, d) === (GROUP_FLAG | groupId) >>> 0);
}

/** Group ids that have members, ascending. */
export function groupIds(layout: SifLayout): number[] {
  return [...new Set(layout.descriptors.filter((d) => d.groupId !== 0).map((d) => d.groupId))].sort((a, b) => a - b);
}

/** relativeId (§2.4): an object's id minus the lowest id among the descriptors that share its stored GroupID. */
export function relativeId(layout: SifLayout, descriptor: SifDescriptor): number {
  return descriptor.id - minimumId(layout, rawGroupId(layout, descriptor));
}

export function minimumId(layout: SifLayout, storedGroupId: number): number {
  let min = Number.POSITIVE_INFINITY;
  for (const d of layout.descriptors) if (rawGroupId(layout, d) === storedGroupId && d.id < min) min = d.id;
  return min;
}
