import { Readable } from 'node:stream';
import { constants, createGunzip } from 'node:zlib';
import type { ImageFile } from './file-reader';

const CHUNK = 16 * 1024;

/**
 * The first `want` bytes of a gzip file's decompressed content, reading at most `maxCompressed` compressed
 * bytes. Decompression is pulled chunk by chunk, so a highly compressible image (an ext3 full of zeros) does
 * not inflate megabytes just to show its first few KiB. Returns what it got, or null if the stream is corrupt.
 */
export async function gunzipPrefix(file: ImageFile, want: number, maxCompressed = 1024 * 1024): Promise<Buffer | null> {
  const limit = Math.min(file.size, maxCompressed);
  async function* compressed(): AsyncGenerator<Buffer> {
    for (let pos = 0; pos < limit; pos += CHUNK) yield await file.read(pos, Math.min(CHUNK, limit - pos));
  }
  const source = Readable.from(compressed());
  // Z_SYNC_FLUSH lets a deliberately incomplete stream end without an "unexpected end of file" error.
  const gunzip = createGunzip({ finishFlush: constants.Z_SYNC_FLUSH });
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  const chunks: Buffer[] = [];
  let got = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= want) break;
    }
  } catch {
    return null;
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  return Buffer.concat(chunks).subarray(0, want);
}
