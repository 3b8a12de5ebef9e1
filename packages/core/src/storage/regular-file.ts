import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import { kindOf } from '../catalog/targets';

/** A path that is there but is not a regular file: `kind` says what it is (`a FIFO`, `a folder`, …). */
export class NotRegularFile extends Error {
  constructor(
    readonly file: string,
    readonly kind: string,
  ) {
    super(`${file} is ${kind}, not a regular file`);
  }
}

/**
 * The bytes of `file` (a link is followed) when it is a regular file. Anything else throws NotRegularFile without
 * reading: a FIFO would block the read until someone writes to it (a hang), a device could be endless. Opened
 * non-blocking and checked on the open handle, so the check and the read are of the same file.
 */
export async function readRegularFile(file: string): Promise<Buffer> {
  const handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new NotRegularFile(file, kindOf(stat));
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
