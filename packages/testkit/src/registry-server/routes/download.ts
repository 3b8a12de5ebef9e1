// `GET|HEAD /containers/<id>/download/<secret>` (registry-api.md §1.2): the collection secret is the only
// credential; every GET *and* HEAD costs one download; no Range support unless the rangeSupport switch asks
// for it. The file is streamed from disk; faults cut it short or lie about its length.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { nowMicros } from '../dates';
import type { Exchange } from '../exchange';
import { notFoundHtml, redirect, sendEmpty } from '../respond';
import { uriOf } from '../serialize';

interface ByteRange {
  start: number;
  end: number;
}

/** A single `bytes=` range; undefined = ignore the header (serve 200), null = unsatisfiable (416). */
export function parseRange(header: string | undefined, size: number): ByteRange | null | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return null;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return null;
  return { start, end };
}

export async function download(ex: Exchange, id: string, secret: string): Promise<void> {
  const { state, settings, faults } = ex.ctx;
  const row = state.containers.get(Number(id));
  const coll = row && state.collectionOf(row);
  if (!row || !coll || coll.secret !== secret) return notFoundHtml(ex);
  if (row.getCount >= row.getLimit || coll.getCount >= coll.getLimit) return sendEmpty(ex, 403);
  if (!row.path) return notFoundHtml(ex);
  const size = (await stat(row.path)).size;

  // The counters are saved on the rows, and auto_now moves the dates with every save.
  row.getCount++;
  coll.getCount++;
  row.addDate = nowMicros();
  coll.modifyDate = row.addDate;

  const headers: Record<string, string> = {
    'Content-Type': 'application/img',
    'Content-Disposition': `attachment; filename="${uriOf(state, row).replace(/\//g, '-')}.sif"`,
  };
  let status = 200;
  let range: ByteRange = { start: 0, end: size - 1 };
  if (settings.rangeSupport) {
    headers['Accept-Ranges'] = 'bytes';
    const asked = parseRange(ex.req.headers.range, size);
    if (asked === null) return sendEmpty(ex, 416, { ...headers, 'Content-Range': `bytes */${size}` });
    if (asked) {
      status = 206;
      range = asked;
      headers['Content-Range'] = `bytes ${asked.start}-${asked.end}/${size}`;
    }
  }
  const hostile = faults.current;
  if (ex.method === 'GET' && hostile.downloadBody !== undefined) {
    const body = Buffer.from(hostile.downloadBody, 'utf8');
    const type = hostile.downloadBody.trimStart().startsWith('<') ? 'text/html; charset=utf-8' : 'application/img';
    ex.res.writeHead(200, { 'Content-Type': type, 'Content-Length': String(body.length) });
    return void ex.res.end(body);
  }
  if (ex.method === 'GET' && hostile.endlessBody) return endless(ex);
  if (ex.method === 'GET' && hostile.drip) return drip(ex, row.path, size, hostile.drip);
  const length = range.end - range.start + 1;
  const lie = faults.current.wrongContentLength;
  const advertised = lie === undefined || lie === false ? length : lie === true ? length + 1 : lie;
  if (!hostile.noContentLength) headers['Content-Length'] = String(advertised);
  if (ex.method === 'HEAD') {
    ex.res.writeHead(status, headers);
    return void ex.res.end();
  }

  // A drop is simulated by reading only the first N bytes, then killing the socket once they are flushed.
  const dropAfter = faults.takeDrop();
  const end = dropAfter === undefined ? range.end : Math.min(range.end, range.start + dropAfter - 1);
  const socket = ex.req.socket; // res.socket is detached once the response finishes
  ex.res.writeHead(status, headers);
  try {
    // 1 MiB reads: the server's CPU per 512 MiB 0.25-0.27 s against 0.39-1.10 with the 64 KiB default (curl 0.34-0.38 s
    // against 0.51-1.23), CPU a client on the same machine competes with
    if (end >= range.start) await pipeline(createReadStream(row.path, { start: range.start, end, highWaterMark: 1024 * 1024 }), ex.res);
    else ex.res.end();
  } catch {
    return; // the client went away; nothing to clean up
  }
  // After a short body or a wrong Content-Length the connection cannot be reused: close it like a dying proxy.
  if (dropAfter !== undefined || advertised !== length) socket.destroy();
}

/** 200 without Content-Length, zero bytes as fast as the client takes them, until it goes away. */
async function endless(ex: Exchange): Promise<void> {
  ex.res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
  const chunk = Buffer.alloc(64 * 1024);
  while (!ex.res.destroyed && !ex.req.socket.destroyed) {
    if (!ex.res.write(chunk)) await new Promise((resolve) => ex.res.once('drain', resolve).once('close', resolve));
  }
}

/** The file at `bytesPerSecond`, one byte at a time, with or without Content-Length; stops when the client leaves. */
async function drip(ex: Exchange, file: string, size: number, how: { bytesPerSecond: number; withoutLength?: boolean }): Promise<void> {
  ex.res.writeHead(200, { 'Content-Type': 'application/img', ...(how.withoutLength ? {} : { 'Content-Length': String(size) }) });
  const bytes = await readFile(file);
  const pause = Math.max(1, Math.round(1000 / how.bytesPerSecond));
  for (let at = 0; at < bytes.length; at++) {
    if (ex.res.destroyed || ex.req.socket.destroyed) return;
    ex.res.write(bytes.subarray(at, at + 1));
    await sleep(pause);
  }
  ex.res.end();
}

/** `/containers/<id>/download/recipe`: the deffile as text if there is one, else a redirect to the HTML page. */
export function recipe(ex: Exchange, id: string) {
  const row = ex.ctx.state.containers.get(Number(id));
  if (!row) return notFoundHtml(ex);
  const deffile = row.metadata.deffile;
  if (typeof deffile !== 'string') return redirect(ex, 302, `/containers/${row.id}`);
  const body = Buffer.from(deffile, 'utf8');
  ex.res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(body.length) });
  ex.res.end(body);
}
