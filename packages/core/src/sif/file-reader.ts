import fs from 'node:fs/promises';
import { fileError } from './errors';

/**
 * Positional reads from one open file, with the total tallied: the reader promises to touch only headers and
 * small objects, never partition data, and `bytesRead` is how tests (and the curious) can hold it to that.
 */
export class ImageFile {
  bytesRead = 0;

  private constructor(
    private readonly handle: fs.FileHandle,
    readonly path: string,
    readonly size: number,
    private readonly onRead?: (bytes: number) => void,
  ) {}

  static async open(path: string, onRead?: (bytes: number) => void): Promise<ImageFile> {
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(path, 'r');
      const stat = await handle.stat();
      if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      return new ImageFile(handle, path, stat.size, onRead);
    } catch (error) {
      await handle?.close().catch(() => {});
      throw fileError(path, error);
    }
  }

  /**
   * Reads up to `length` bytes at `offset`; fewer only when the file ends first. Callers that need exactly
   * `length` bytes check the bounds against `size` before calling, so they can say what is missing.
   */
  async read(offset: number, length: number): Promise<Buffer> {
    const wanted = Math.max(0, Math.min(length, this.size - offset));
    return this.readInto(Buffer.alloc(wanted), offset, wanted);
  }

  /**
   * Reads up to `length` bytes at `offset` into `buffer` (reused by the caller, so hashing a large object
   * allocates nothing per chunk); returns the filled part, shorter only when the file ends first.
   */
  async readInto(buffer: Buffer, offset: number, length: number): Promise<Buffer> {
    let done = 0;
    while (done < length) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.handle.read(buffer, done, length - done, offset + done));
      } catch (error) {
        throw fileError(this.path, error);
      }
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    this.bytesRead += done;
    this.onRead?.(done);
    return buffer.subarray(0, done);
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => {});
  }
}

/** Opens `path`, runs `work`, and always closes the file. */
export async function withImageFile<T>(
  path: string,
  onRead: ((bytes: number) => void) | undefined,
  work: (file: ImageFile) => Promise<T>,
): Promise<T> {
  const file = await ImageFile.open(path, onRead);
  try {
    return await work(file);
  } finally {
    await file.close();
  }
}
