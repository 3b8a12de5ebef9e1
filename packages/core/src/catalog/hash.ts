import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** SHA-256 hex of a file, streamed (memory does not grow with the file). */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
