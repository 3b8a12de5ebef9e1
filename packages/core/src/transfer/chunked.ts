// Decodes a chunked body (RFC 9112 §7.1) for the direct receive path (direct-get.ts, which says why it does not
// use node's parser). Data comes out as views of the reads that carried it, never copied; only the short size and
// trailer lines are collected byte by byte, and they are bounded like node's (llhttp's) so a server cannot make
// the client buffer an endless line.
import { HttpParseError, MAX_HEAD_BYTES } from './http-head';

/** A size line with its extensions longer than this is refused (llhttp allows 16 KiB of extensions). */
const MAX_SIZE_LINE = 16 * 1024;

type State = 'size' | 'data' | 'data-end' | 'trailers' | 'done';

export class ChunkedDecoder {
  private state: State = 'size';
  private line = '';
  /** bytes left of the current chunk */
  private left = 0;
  private trailerBytes = 0;

  get done(): boolean {
    return this.state === 'done';
  }

  /** The body bytes in `bytes`; bytes after the last chunk's trailers are ignored (the connection is closed). */
  decode(bytes: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    while (at < bytes.length && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Math.min(this.left, bytes.length - at);
        out.push(bytes.subarray(at, at + n));
        at += n;
        this.left -= n;
        if (this.left === 0) this.state = 'data-end';
        continue;
      }
      const lf = bytes.indexOf(10, at);
      const end = lf === -1 ? bytes.length : lf;
      this.line += bytes.toString('latin1', at, end);
      at = lf === -1 ? bytes.length : lf + 1;
      this.checkLength();
      if (lf !== -1) this.endLine();
    }
    return out;
  }

  private checkLength(): void {
    const limit = this.state === 'size' ? MAX_SIZE_LINE : this.state === 'trailers' ? MAX_HEAD_BYTES - this.trailerBytes : 2;
    if (this.line.length > limit) {
      throw this.state === 'trailers'
        ? new HttpParseError('Header overflow', 'HPE_HEADER_OVERFLOW')
        : new HttpParseError(
            this.state === 'size' ? 'Chunk extensions overflow' : 'Expected LF after chunk data',
            'HPE_INVALID_CHUNK_SIZE',
          );
    }
  }

  private endLine(): void {
    const line = this.line.endsWith('\r') ? this.line.slice(0, -1) : this.line;
    this.line = '';
    if (this.state === 'data-end') {
      if (line !== '') throw new HttpParseError('Expected LF after chunk data', 'HPE_INVALID_CHUNK_SIZE');
      this.state = 'size';
    } else if (this.state === 'size') {
      const size = /^([0-9A-Fa-f]{1,13})[\t ]*(;.*)?$/.exec(line);
      if (!size) throw new HttpParseError('Invalid character in chunk size', 'HPE_INVALID_CHUNK_SIZE');
      this.left = Number.parseInt(size[1]!, 16);
      this.state = this.left === 0 ? 'trailers' : 'data';
    } else if (this.state === 'trailers') {
      this.trailerBytes += line.length + 2;
      if (line === '') this.state = 'done';
    }
  }
}
