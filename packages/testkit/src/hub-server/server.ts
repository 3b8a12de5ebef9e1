import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { makeBuild, orderedManifest } from './builds';
import { lookupBuild } from './lookup';
import { type ServeState, serveFile } from './serve-file';
import type { HubBehaviour, HubBuild, HubImageSeed, HubRequestLogEntry, HubServer, HubServerOptions } from './types';

/** Where the archive's web UI sends people (con/shub serve.py GOTO_URL). */
export const HUB_ARCHIVE_UI = 'https://datasets.datalad.org/?dir=/shub';

const CONTAINER = /^\/api\/container\/([^/]+)\/([^/:]+)(.*)$/;
const COLLECTION = /^\/api\/collections\/(\d+)$/;
const UI_PAGES = new Set(['/api', '/api/', '/api/about', '/api/collections/my', '/api/labels']);

function sendJson(res: http.ServerResponse, status: number, body: unknown, head: boolean, count: (n: number) => void): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  if (!head) count(Buffer.byteLength(text));
  res.end(head ? undefined : text);
}

function redirect(res: http.ServerResponse, location: string): void {
  res.writeHead(302, { Location: location, 'Content-Type': 'text/plain;charset=UTF-8', 'Content-Length': 0 });
  res.end();
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function normaliseBehaviour(options: HubServerOptions): HubBehaviour {
  const s500 = options.status500;
  return {
    corrupt: options.corrupt ?? false,
    dropAfterBytes: options.dropAfterBytes,
    dropCount: options.dropCount,
    status500: s500 === undefined ? [] : Array.isArray(s500) ? [...s500] : [s500],
    rateLimit426: options.rateLimit426,
    redirectDownloads: options.redirectDownloads ?? false,
    acceptRanges: options.acceptRanges ?? true,
  };
}

/**
 * A loopback stand-in for today's Singularity Hub: the con/shub archive service (`GET|HEAD
 * /api/container/<user>/<repo><rest>`, manifests in the archive's field order) plus the DataLad file tree
 * it points to (`/shub/<user>/<repo>/<tag>/<date>-<commit8>-<version8>/<version>.<ext>`), with switches
 * for the failures a client must survive. Names are case-sensitive, as on the Hub.
 */
export async function startHubServer(options: HubServerOptions = {}): Promise<HubServer> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-hub-server-'));
  const builds: HubBuild[] = [];
  const requests: HubRequestLogEntry[] = [];
  const behaviour = normaliseBehaviour(options);
  const state: ServeState = { drops: 0 };
  let origin = '';

  const addImage = async (seed: HubImageSeed): Promise<HubBuild> => {
    const build = await makeBuild(seed, builds.length, scratch);
    builds.push(build);
    return build;
  };
  for (const seed of options.images ?? []) await addImage(seed);

  const byPath = (p: string): { build: HubBuild; annex: boolean } | undefined => {
    for (const build of builds) {
      if (build.archivePath === p || decode(build.archivePath) === p) return { build, annex: false };
      if (build.annexPath === p) return { build, annex: true };
    }
    return undefined;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, entry: HubRequestLogEntry): Promise<void> => {
    const count = (n: number) => {
      entry.bytes += n;
    };
    const head = req.method === 'HEAD';
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    const decoded = decode(rawPath);
    if (req.method !== 'GET' && !head) return sendJson(res, 405, { detail: `Method "${req.method}" not allowed.` }, false, count);
    if (decoded === undefined) return sendJson(res, 404, { detail: 'Not found.' }, head, count);
    if (behaviour.status500.some((r) => (typeof r === 'string' ? r === rawPath || r === decoded : r.test(decoded)))) {
      return sendJson(res, 500, { detail: 'Exception injected by the test server' }, head, count);
    }

    const container = CONTAINER.exec(decoded);
    if (container) {
      if (behaviour.rateLimit426 !== undefined) return sendJson(res, 426, behaviour.rateLimit426, head, count);
      const [, user, repo, rest] = container as unknown as [string, string, string, string];
      const build = lookupBuild(builds, user, repo, rest);
      if (!build) return sendJson(res, 404, { detail: 'Not found.' }, head, count);
      return sendJson(res, 200, orderedManifest(build.manifest, origin), head, count);
    }
    if (UI_PAGES.has(decoded)) return redirect(res, HUB_ARCHIVE_UI);
    const collection = COLLECTION.exec(decoded);
    if (collection) {
      const names = [...new Set(builds.map((b) => b.manifest.name))];
      const name = names[Number(collection[1]) - 1];
      if (name) return redirect(res, `${HUB_ARCHIVE_UI}/${name}`);
      return sendJson(res, 404, { detail: 'Not found.' }, head, count);
    }

    const file = byPath(decoded);
    if (file) {
      if (!file.annex && behaviour.redirectDownloads) return redirect(res, `${origin}${file.build.annexPath}`);
      return serveFile(req, res, file.build, behaviour, state, count);
    }
    return sendJson(res, 404, { detail: 'Not found.' }, head, count);
  };

  const server = http.createServer((req, res) => {
    const entry: HubRequestLogEntry = { method: req.method ?? 'GET', url: req.url ?? '/', headers: { ...req.headers }, bytes: 0 };
    requests.push(entry);
    const done = () => {
      entry.status ??= res.statusCode;
    };
    res.once('finish', done).once('close', done);
    handle(req, res, entry).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { detail: `Exception ${(error as Error).message}` }, false, () => {});
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    port,
    behaviour,
    requests,
    builds,
    lookup(user, repo, rest = '') {
      const build = lookupBuild(builds, user, repo, rest);
      return build ? orderedManifest(build.manifest, origin) : undefined;
    },
    addImage,
    clearRequests() {
      requests.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(scratch, { recursive: true, force: true });
    },
  };
}
