// Incompressible test files, fast: an AES-128-CTR keystream (hardware AES, >1 GB/s) written in 8 MiB chunks.
// Neither gzip on the wire nor identical-page tricks on disk can make such a file cheaper to move.
import { createCipheriv } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

const CHUNK = 8 * 1024 * 1024;

/** `start`: write into an existing file from that offset (e.g. a SIF partition), leaving the rest as it is. */
export async function writeRandomFile(file, size, seed = 1, { start } = {}) {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, seed & 0xff), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(CHUNK);
  const out = start === undefined ? createWriteStream(file) : createWriteStream(file, { flags: 'r+', start });
  for (let left = size; left > 0; left -= CHUNK) {
    const n = Math.min(CHUNK, left);
    if (!out.write(cipher.update(zeros.subarray(0, n)))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return file;
}
