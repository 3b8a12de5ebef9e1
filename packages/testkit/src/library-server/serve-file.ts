// A download streamed from disk the way an object store answers it: Content-Length, ETag, Accept-Ranges,
// a single byte range as 206, 416 past the end; with the fault switches (cut short, last byte flipped,
// Range ignored) a client has to survive or detect.
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseRange } from '../http-range';
import type { FaultState } from './faults';

export async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: { path: string; size: number; etag: string },
  faults: FaultState,
): Promise<void> {
  const { size } = file;
  const range = faults.current.ignoreRange ? undefined : parseRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'Content-Range': `bytes */${size}`, 'Content-Length': '0' });
    return void res.end();
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  const length = size === 0 ? 0 : end - start + 1;
  const headers: Record<string, string> = {
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(length),
    'Accept-Ranges': 'bytes',
    ETag: file.etag,
  };
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD' || length === 0) return void res.end();

  const drop = faults.takeDrop();
  const flipAt = faults.current.corruptDownloads ? size - 1 : -1;
  let position = start;
  let sent = 0;
  const stream = createReadStream(file.path, {
    start,
    end,
    highWaterMark: faults.current.downloadBytesPerSecond ? 16 * 1024 : 1024 * 1024,
  });
  let gone = false;
  res.on('close', () => {
    gone = true;
    stream.destroy();
  });
  try {
    for await (const raw of stream) {
      if (gone) return;
      let chunk = raw as Buffer;
      if (flipAt >= position && flipAt < position + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[flipAt - position] = (chunk[flipAt - position] as number) ^ 0xff;
      }
      position += chunk.length;
      if (drop !== undefined && sent + chunk.length >= drop) {
        const part = chunk.subarray(0, Math.max(0, drop - sent));
        if (part.length > 0) res.write(part);
        else res.flushHeaders();
        // end (not destroy) the socket: the queued bytes arrive, then the body stops short of Content-Length
        res.socket?.end();
        return;
      }
      sent += chunk.length;
      if (!res.write(chunk)) await drained(res);
      const rate = faults.current.downloadBytesPerSecond;
      if (rate) await sleep((chunk.length / rate) * 1000);
    }
    res.end();
  } catch {
    res.destroy();
  }
}

/** Waits for the socket to take more, or to go away; the listeners go with it (a long download waits often). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
