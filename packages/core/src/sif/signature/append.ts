import type fs from 'node:fs/promises';
import { UserError } from '../../errors';
import { patchedCopy, type RewriteOptions, rewriteFile } from '../../storage/rewrite';
import { D, DataType, DESCRIPTOR_SIZE, GO_ZERO_TIME, GROUP_FLAG, H } from '../constants';
import type { SifLayout } from './layout';

/** One signature object to add: its bytes, the group it signs, and what its descriptor records. */
export interface NewSignature {
  data: Buffer;
  groupId: number;
  /** descriptor HashType (1 = SHA-256) */
  hashType: number;
  /** OpenPGP primary fingerprint (20 bytes for v4); empty for DSSE */
  entity: Buffer;
}

const ENTITY_SIZE = 256;

export interface AppendOptions extends RewriteOptions {
  /** `dest` is a new file of the caller's (a temp it owns): written as it is, not through a second temp beside it */
  newFile?: boolean;
}

/**
 * Appends signature objects the way the reference signer does (sif-signatures.md §1.3): data at the end of
 * the data section, no alignment, the first free descriptor slots, the header's free count, data size and
 * modification time updated. A deterministic image (modification time = Go's zero time) stays deterministic;
 * otherwise the time is now. The file at `dest` is replaced atomically (see rewriteFile), or, with `newFile`, made.
 */
export async function appendSignatures(
  source: string,
  dest: string,
  layout: SifLayout,
  signatures: NewSignature[],
  options: AppendOptions = {},
): Promise<void> {
  const header = Buffer.from(layout.headerRaw);
  const table = Buffer.from(layout.tableRaw);
  const deterministic = header.readBigInt64LE(H.modifiedAt) === BigInt(GO_ZERO_TIME);
  const time = BigInt(deterministic ? GO_ZERO_TIME : Math.floor(Date.now() / 1000));
  let end = layout.descriptors.reduce((max, d) => Math.max(max, d.offset + d.size), layout.header.dataOffset);
  const writes: { offset: number; data: Buffer }[] = [];

  for (const signature of signatures) {
    const slot = freeSlot(table);
    if (slot === -1) {
      throw new UserError(`${source} has no free descriptor slot for a signature`, {
        fix: 'the image was built with a full descriptor table; rebuild it to sign it',
        code: 'ESIFFULL',
      });
    }
    if (signature.entity.length > ENTITY_SIZE) throw new Error('entity longer than the descriptor field');
    const raw = table.subarray(slot * DESCRIPTOR_SIZE, (slot + 1) * DESCRIPTOR_SIZE);
    raw.fill(0);
    raw.writeInt32LE(DataType.Signature, D.dataType);
    raw[D.used] = 1;
    raw.writeUInt32LE(slot + 1, D.id);
    raw.writeUInt32LE(GROUP_FLAG, D.groupId);
    raw.writeUInt32LE((GROUP_FLAG | signature.groupId) >>> 0, D.link);
    raw.writeBigInt64LE(BigInt(end), D.offset);
    raw.writeBigInt64LE(BigInt(signature.data.length), D.size);
    raw.writeBigInt64LE(BigInt(signature.data.length), D.sizeWithPadding);
    raw.writeBigInt64LE(time, D.createdAt);
    raw.writeBigInt64LE(time, D.modifiedAt);
    raw.writeInt32LE(signature.hashType, D.extra);
    signature.entity.copy(raw, D.extra + 4);
    writes.push({ offset: end, data: signature.data });
    end += signature.data.length;
    header.writeBigInt64LE(header.readBigInt64LE(H.descriptorsFree) - 1n, H.descriptorsFree);
  }
  header.writeBigInt64LE(BigInt(end - layout.header.dataOffset), H.dataSize);
  header.writeBigInt64LE(time, H.modifiedAt);

  const write = options.newFile ? patchedCopy : rewriteFile;
  await write(
    source,
    dest,
    async (handle: fs.FileHandle) => {
      for (const write of writes) await writeAll(handle, write.data, write.offset);
      await writeAll(handle, table, layout.header.descriptorsOffset);
      await writeAll(handle, header, 0);
    },
    options,
  );
}

function freeSlot(table: Buffer): number {
  for (let slot = 0; slot * DESCRIPTOR_SIZE < table.length; slot++) if (table[slot * DESCRIPTOR_SIZE + D.used] === 0) return slot;
  return -1;
}

async function writeAll(handle: fs.FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) done += (await handle.write(data, done, data.length - done, position + done)).bytesWritten;
}
