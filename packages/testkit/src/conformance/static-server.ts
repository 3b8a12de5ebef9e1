// A plain HTTP file server over a folder (what `python3 -m http.server` or any web server gives), for backends that
// pull from static files, such as the "folder" example backend in docs/writing-a-backend.md.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface FolderServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** request lines as received, e.g. `HEAD /library/tacos/latest.sif 200` */
  requests: string[];
  close(): Promise<void>;
}

/** Serves the files below `root` for GET and HEAD on 127.0.0.1 (a free port); anything else is 404 or 405. */
export async function serveFolder(root: string): Promise<FolderServer> {
  const base = path.resolve(root);
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const answer = (status: number, body = '') => {
      requests.push(`${req.method} ${req.url} ${status}`);
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, 'method not allowed\n');
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return answer(400, 'bad path\n');
    }
    const file = path.resolve(base, `.${rel}`);
    // never outside the folder, whatever the request path says
    if (file !== base && !file.startsWith(`${base}${path.sep}`)) return answer(404, 'not found\n');
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile()) return answer(404, 'not found\n');
    requests.push(`${req.method} ${req.url} 200`);
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': stat.size,
      'last-modified': stat.mtime.toUTCString(),
    });
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
