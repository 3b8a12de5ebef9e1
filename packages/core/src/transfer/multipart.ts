// A multipart/form-data body streamed from disk with its exact length known before the first byte is sent:
// nginx's upload module (the registry's /upload) and many servers refuse chunked request bodies.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { MultipartField, MultipartFile } from './types';

const CRLF = '\r\n';
const READ_CHUNK = 1024 * 1024;

export interface MultipartBody {
  contentType: string;
  contentLength: number;
  /** the whole body: text fields in order, then the file part */
  stream(): Readable;
}

/** Quotes a name/filename for Content-Disposition the way browsers do (WHATWG: `"` and newlines percent-encoded). */
function quote(value: string): string {
  return `"${value.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22')}"`;
}

/**
 * Lays out the body for `fields` + `file` of `fileSize` bytes. The stream refuses to send a different number of
 * file bytes than were counted, so the declared Content-Length is never a lie.
 */
export function buildMultipart(fields: MultipartField[], file: MultipartFile, fileSize: number): MultipartBody {
  let boundary: string;
  // The boundary must not occur inside a text value (the file's bytes cannot be checked up front; 24 random
  // bytes make a collision negligible there).
  do boundary = `----sregistry${randomBytes(24).toString('hex')}`;
  while (fields.some((field) => field.value.includes(boundary)));

  const head = Buffer.from(
    fields
      .map((field) => `--${boundary}${CRLF}Content-Disposition: form-data; name=${quote(field.name)}${CRLF}${CRLF}${field.value}${CRLF}`)
      .join('') +
      `--${boundary}${CRLF}Content-Disposition: form-data; name=${quote(file.field)}; filename=${quote(file.filename)}${CRLF}` +
      `Content-Type: ${file.contentType ?? 'application/octet-stream'}${CRLF}${CRLF}`,
    'utf8',
  );
  const tail = Buffer.from(`${CRLF}--${boundary}--${CRLF}`, 'utf8');

  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: head.length + fileSize + tail.length,
    stream: () => Readable.from(parts(head, file.path, fileSize, tail), { objectMode: false, highWaterMark: READ_CHUNK }),
  };
}

async function* parts(head: Buffer, path: string, size: number, tail: Buffer): AsyncGenerator<Buffer> {
  yield head;
  let read = 0;
  if (size > 0) {
    // `end` keeps a growing file from sending more than was declared.
    for await (const chunk of fs.createReadStream(path, { start: 0, end: size - 1, highWaterMark: READ_CHUNK })) {
      read += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  }
  if (read !== size) throw new FileChangedError(path, size, read);
  yield tail;
}

/** The file shrank while it was being sent. */
export class FileChangedError extends Error {
  readonly code = 'EFILECHANGED';
  constructor(
    readonly path: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`${path} changed while it was uploaded (${actual} of ${expected} bytes)`);
    this.name = 'FileChangedError';
  }
}
