// A tiny streaming multipart/form-data POST over node:http, so tests can push to the fake server (push step 2)
// without any sregistry client code and without buffering the file.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request } from 'node:http';
import { pipeline } from 'node:stream/promises';

export interface MultipartPost {
  /** Full URL, e.g. `${handle.url}/upload`. */
  url: string;
  headers?: Record<string, string>;
  /** Sent in this order before the file. */
  fields: [string, string][];
  file?: { field: string; path: string; filename: string; contentType?: string };
}

export interface SimpleResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export async function postMultipart(post: MultipartPost): Promise<SimpleResponse> {
  const boundary = `----testkit${randomBytes(12).toString('hex')}`;
  let head = '';
  for (const [name, value] of post.fields) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  }
  let size = 0;
  if (post.file) {
    size = (await stat(post.file.path)).size;
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${post.file.field}"; filename="${post.file.filename}"\r\n`;
    head += `Content-Type: ${post.file.contentType ?? 'text/plain'}\r\n\r\n`;
  }
  const tail = `${post.file ? '\r\n' : ''}--${boundary}--\r\n`;
  const length = Buffer.byteLength(head) + size + Buffer.byteLength(tail);

  return new Promise<SimpleResponse>((resolve, reject) => {
    const req = request(post.url, {
      method: 'POST',
      headers: { ...post.headers, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(length) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.write(head);
    const body = post.file ? pipeline(createReadStream(post.file.path), req, { end: false }) : Promise.resolve();
    body.then(() => req.end(tail), reject);
  });
}
