import fs from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { UserError } from '../errors';
import { InlineHasher } from '../transfer/hasher';

/** Decompresses a gzip'd legacy image into `dest` (a temp file the caller named), hashing the output in the same pass. */
export async function gunzipFile(source: string, dest: string): Promise<{ path: string; sha256: string; md5: string; size: number }> {
  const hasher = new InlineHasher(['sha256', 'md5']);
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hasher.update([chunk]);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(fs.createReadStream(source), createGunzip(), tap, fs.createWriteStream(dest, { mode: 0o600 }));
  } catch (error) {
    fs.rmSync(dest, { force: true });
    throw new UserError(`the image could not be decompressed (${(error as Error).message})`, { fix: 'pull it again without --gunzip' });
  }
  const { sha256, md5 } = await hasher.digest();
  return { path: dest, sha256, md5: md5 ?? '', size };
}
