// The head of an HTTP/1.x answer (status line and header fields) and how its body is framed, for the direct
// receive path (direct-get.ts). Hand-written instead of node's parser because that parser cannot sit on a socket
// read into our own buffers: measured on the 2-vCPU VM, 512 MiB from a local node:http server, client writing each
// read with fs.writeSync: node:http 0.57-0.76 CPU s (undici the same), a raw net.Socket with `onread` into a
// 1 MiB buffer and a hand-parsed head 0.27-0.28 CPU s, curl 0.36. The checks are node's (llhttp's) where they
// matter to a client: a bounded head, a valid status line, token names, no control characters, no obs-fold, one
// Content-Length, never both Content-Length and Transfer-Encoding. Errors carry llhttp's HPE_* codes, so a bad
// answer is the same one line ("did not answer with valid HTTP", net-errors.ts) whichever path read it.

/** node's default --max-http-header-size: a head larger than this is refused, not buffered. */
export const MAX_HEAD_BYTES = 16 * 1024;

export interface ResponseHead {
  status: number;
  statusText: string;
  /** lower-case names; repeated fields joined with ", " as node does */
  headers: Record<string, string>;
  /** bytes of the head, the blank line included: the body starts there */
  length: number;
}

/** How the body after a head ends. */
export type Framing = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };

export class HttpParseError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'HttpParseError';
  }
}

const STATUS_LINE = /^HTTP\/1\.[01] ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Parses the head at the start of `bytes`: undefined while its end (the blank line) has not arrived yet, a
 * HttpParseError for an answer that is not HTTP/1.x or breaks the rules above. Lines end in CRLF, or LF alone as
 * node and curl accept.
 */
export function parseHead(bytes: Buffer): ResponseHead | undefined {
  const end = headEnd(bytes);
  if (end === -1) {
    // the head so far must look like HTTP from its first bytes, or a non-HTTP server would be read for 16 KiB
    const prefix = bytes.toString('latin1', 0, Math.min(bytes.length, 5));
    if (!'HTTP/'.startsWith(prefix)) throw new HttpParseError('Expected HTTP/', 'HPE_INVALID_CONSTANT');
    if (bytes.length > MAX_HEAD_BYTES) throw new HttpParseError('Header overflow', 'HPE_HEADER_OVERFLOW');
    return undefined;
  }
  if (end > MAX_HEAD_BYTES) throw new HttpParseError('Header overflow', 'HPE_HEADER_OVERFLOW');
  const lines = bytes.toString('latin1', 0, end).split('\n');
  lines.pop(); // after the blank line's LF
  lines.pop(); // the blank line
  const strip = (line: string) => (line.endsWith('\r') ? line.slice(0, -1) : line);
  const status = STATUS_LINE.exec(strip(lines[0] ?? ''));
  if (!status)
    throw new HttpParseError('Invalid status line', lines[0]?.startsWith('HTTP/') ? 'HPE_INVALID_STATUS' : 'HPE_INVALID_CONSTANT');
  const headers: Record<string, string> = {};
  for (const raw of lines.slice(1)) {
    const line = strip(raw);
    if (line.startsWith(' ') || line.startsWith('\t')) throw new HttpParseError('Obsolete line folding', 'HPE_INVALID_HEADER_TOKEN');
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) throw new HttpParseError('Invalid header field name', 'HPE_INVALID_HEADER_TOKEN');
    const value = line.slice(colon + 1).trim();
    if (!FIELD_VALUE.test(value)) throw new HttpParseError('Invalid header value char', 'HPE_INVALID_HEADER_TOKEN');
    const key = name.toLowerCase();
    if (key === 'content-length' && key in headers && headers[key] !== value) {
      throw new HttpParseError('Duplicate Content-Length', 'HPE_UNEXPECTED_CONTENT_LENGTH');
    }
    headers[key] = key in headers && key !== 'content-length' ? `${headers[key]}, ${value}` : value;
  }
  return { status: Number(status[1]), statusText: status[2] ?? '', headers, length: end };
}

/** Offset just past the blank line that ends the head, or -1. */
function headEnd(bytes: Buffer): number {
  let from = 0;
  for (;;) {
    const lf = bytes.indexOf(10, from);
    if (lf === -1) return -1;
    if (bytes[lf + 1] === 10) return lf + 2;
    if (bytes[lf + 1] === 13 && bytes[lf + 2] === 10) return lf + 3;
    from = lf + 1;
  }
}

/** The body's framing for an answer to a GET (RFC 9112 §6.3). */
export function framing(head: ResponseHead): Framing {
  const { status, headers } = head;
  if (status < 200 || status === 204 || status === 304) return { kind: 'none' };
  const encoding = headers['transfer-encoding'];
  const length = headers['content-length'];
  if (encoding !== undefined) {
    if (length !== undefined)
      throw new HttpParseError("Content-Length can't be present with Transfer-Encoding", 'HPE_UNEXPECTED_CONTENT_LENGTH');
    if (encoding.toLowerCase() !== 'chunked') throw new HttpParseError('Unsupported Transfer-Encoding', 'HPE_INVALID_TRANSFER_ENCODING');
    return { kind: 'chunked' };
  }
  if (length !== undefined) {
    if (!/^\d{1,15}$/.test(length)) throw new HttpParseError('Invalid character in Content-Length', 'HPE_INVALID_CONTENT_LENGTH');
    return { kind: 'length', length: Number(length) };
  }
  return { kind: 'close' };
}
