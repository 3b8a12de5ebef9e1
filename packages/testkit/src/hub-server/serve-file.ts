import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseRange } from '../http-range';
import type { HubBehaviour, HubBuild } from './types';

export interface ServeState {
  /** downloads cut so far by `dropAfterBytes` */
  drops: number;
}

/**
 * Serves an image like a plain Apache file server: Content-Length, optional single byte range, streamed
 * from disk. Corrupt mode flips the file's last byte (same length, so only a digest check notices);
 * `dropAfterBytes` announces the full length and cuts the connection after that many body bytes.
 */
export async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  build: HubBuild,
  behaviour: HubBehaviour,
  state: ServeState,
  count: (n: number) => void,
): Promise<void> {
  const size = build.size;
  // Apache's validators: a strong ETag and Last-Modified; an If-Range that matches neither gets the whole file.
  const etag = `"${size.toString(16)}-${build.fileMd5.slice(0, 16)}"`;
  const lastModified = new Date(Date.parse(build.buildDate)).toUTCString();
  const ifRange = req.headers['if-range'];
  const rangeValid = ifRange === undefined || ifRange === etag || ifRange === lastModified;
  const range = behaviour.acceptRanges && rangeValid ? parseRange(req.headers.range, size) : undefined;
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'Content-Range': `bytes */${size}`, 'Content-Length': 0 });
    res.end();
    return;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  const length = size === 0 ? 0 : end - start + 1;
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/octet-stream',
    'Content-Length': length,
    ETag: etag,
    'Last-Modified': lastModified,
  };
  if (behaviour.acceptRanges) headers['Accept-Ranges'] = 'bytes';
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }

  const drop =
    behaviour.dropAfterBytes !== undefined && (behaviour.dropCount === undefined || state.drops < behaviour.dropCount)
      ? behaviour.dropAfterBytes
      : undefined;
  if (drop !== undefined) state.drops += 1;
  const flipAt = behaviour.corrupt ? size - 1 : -1;

  let position = start;
  let sent = 0;
  const stream = fs.createReadStream(build.file, { start, end });
  let clientGone = false;
  res.on('close', () => {
    clientGone = true;
    stream.destroy();
  });
  try {
    for await (const raw of stream) {
      if (clientGone) return;
      let chunk = raw as Buffer;
      if (flipAt >= position && flipAt < position + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[flipAt - position] ^= 0xff;
      }
      position += chunk.length;
      if (drop !== undefined && sent + chunk.length >= drop) {
        const part = chunk.subarray(0, drop - sent);
        count(part.length);
        if (part.length > 0) res.write(part);
        else res.flushHeaders();
        // Ending the socket (not destroying it) delivers the queued bytes first, then the client sees the
        // body stop short of Content-Length: a dropped connection, not a reset that could eat the bytes.
        res.socket?.end();
        return;
      }
      sent += chunk.length;
      count(chunk.length);
      if (!res.write(chunk)) await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
    }
    res.end();
  } catch {
    res.destroy();
  }
}
