import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * SHA-256 hex of a file, streamed (memory does not grow with the file). 1 MiB reads: with the default 64 KiB
 * the hash of a 1 GiB image waited on 16,384 reads and took ~3x longer (bench/run.sh local).
 */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file, { highWaterMark: 1024 * 1024 })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
