// startLibraryServer: a Library API server (the Sylabs library API as Sylabs Cloud and Singularity Registry
// Server's /v1 and /v2 offer it) on loopback, with its object store on a second port, seeding helpers, switches
// for the servers' differences, fault injection and a record of every request. Written from the documented API
// (hub-sif-library.md C.1, registry-api.md §1.5), not from any client.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Exchange, ServerContext } from './context';
import { FaultState } from './faults';
import { ownedBy } from './files';
import { handleObject } from './object-host';
import { presignGet, presignPut } from './object-key';
import { Presigner } from './presign';
import { sendError, sendJson, sendS3Error } from './respond';
import { dispatch } from './router';
import { addCollection, addContainer, addEntity, addImage, containerOf } from './seed';
import { LibraryState } from './state';
import type {
  LibraryObjectAuthRejection,
  LibraryRecordedRequest,
  LibraryServerHandle,
  LibraryServerOptions,
  LibrarySettings,
} from './types';
import { UploadStore } from './uploads';

const FIVE_MINUTES = 5 * 60 * 1000;
const REGISTRY_SERVER_PART_SIZE = 524_288_000;
/** Headers never kept in the request record. */
const SECRET_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

export function settingsFrom(options: LibraryServerOptions): LibrarySettings {
  const rs = options.flavour === 'registry-server';
  return {
    flavour: options.flavour ?? 'sylabs',
    apiVersion: options.apiVersion ?? (rs ? '2.0.0-alpha.1' : '2.0.0-alpha.2'),
    version: options.version ?? 'v1.0.0',
    download: options.download ?? (rs ? 302 : 303),
    search: options.search ?? !rs,
    tokenStatus: options.tokenStatus ?? true,
    delete: options.delete ?? !rs,
    createEntities: options.createEntities ?? !rs,
    multipart: options.multipart ?? true,
    partSize: options.partSize ?? REGISTRY_SERVER_PART_SIZE,
    presignExpiryMs: options.presignExpiryMs ?? FIVE_MINUTES,
    presignMaxUses: options.presignMaxUses,
    searchMinLength: options.searchMinLength ?? 3,
  };
}

export async function startLibraryServer(options: LibraryServerOptions = {}): Promise<LibraryServerHandle> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'sregistry-library-')));
  await mkdir(dataDir, { recursive: true });
  const settings = settingsFrom(options);
  const state = new LibraryState();
  const ctx: ServerContext = {
    state,
    settings,
    faults: new FaultState(options.faults),
    presigner: new Presigner(
      () => ctx.objectUrl,
      () => settings.presignExpiryMs,
      () => settings.presignMaxUses,
    ),
    uploads: new UploadStore(join(dataDir, 'uploads')),
    dataDir,
    url: '',
    objectUrl: '',
    bucket: 'sregistry',
  };
  const cleanup = () => (ownsDataDir ? rm(dataDir, { recursive: true, force: true }) : Promise.resolve());
  const requests: LibraryRecordedRequest[] = [];
  const rejections: LibraryObjectAuthRejection[] = [];
  const host = options.host ?? '127.0.0.1';
  const servers: Server[] = [];
  try {
    for (const t of options.tokens ?? []) state.tokens.set(t.token, { ...t });
    for (const e of options.entities ?? []) addEntity(ctx, e);
    for (const c of options.collections ?? []) addCollection(ctx, c);
    for (const n of options.containers ?? []) addContainer(ctx, n);
    for (const i of options.images ?? []) await addImage(ctx, i);
    const api = createServer((req, res) => void handle(ctx, 'api', requests, req, res, (ex) => dispatch(ex)));
    const object = createServer(
      (req, res) =>
        void handle(ctx, 'object', requests, req, res, (ex) => handleObject(ctx, rejections, ex.req, ex.res, ex.path, ex.query)),
    );
    servers.push(api, object);
    ctx.url = await listen(api, host, options.port ?? 0);
    ctx.objectUrl = await listen(object, host, options.objectPort ?? 0);
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await cleanup();
    throw err;
  }

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    ).then(cleanup);
    return stopped;
  };
  const imageById = (id: string) => {
    const image = state.images.get(id);
    if (!image) throw new Error(`library-server: no image ${id}`);
    return image;
  };
  return {
    url: ctx.url,
    objectUrl: ctx.objectUrl,
    port: Number(new URL(ctx.url).port),
    objectPort: Number(new URL(ctx.objectUrl).port),
    dataDir,
    requests,
    objectAuthRejections: rejections,
    state,
    addToken: (t) => void state.tokens.set(t.token, { ...t }),
    addEntity: (seed) => addEntity(ctx, seed),
    addCollection: (seed) => addCollection(ctx, seed),
    addContainer: (seed) => addContainer(ctx, seed),
    addImage: (seed) => addImage(ctx, seed),
    setTag(ref, tag, imageId, arch) {
      const container = containerOf(ctx, ref);
      const image = imageById(imageId);
      if (arch) state.setTagV2(container, tag, image, arch);
      else state.setTagV1(container, tag, image);
    },
    freezeTag(ref, tag, frozen = true) {
      const container = containerOf(ctx, ref);
      if (frozen) container.frozenTags.add(tag);
      else container.frozenTags.delete(tag);
    },
    storedObject(imageId) {
      const object = ctx.uploads.objects.get(imageId);
      return object && { path: object.path, size: object.size, sha256: object.sha256 };
    },
    async removeImage(imageId) {
      const image = imageById(imageId);
      state.removeImage(image);
      const object = ctx.uploads.objects.get(imageId);
      ctx.uploads.objects.delete(imageId);
      for (const file of [image.path, object?.path]) if (ownedBy(dataDir, file)) await rm(file, { force: true });
    },
    setPrivate(entity, collection, isPrivate) {
      const found = state.lookup(entity, collection);
      if (!found.collection) throw new Error(`library-server: no collection ${entity}/${collection}`);
      found.collection.private = isPrivate;
    },
    configure: (changes) => void Object.assign(settings, changes),
    setFaults: (faults) => ctx.faults.set(faults),
    presignDownload: (id) => presignGet(ctx, imageById(id)),
    presignUpload: (id) => presignPut(ctx, imageById(id)),
    stop,
    close: stop,
  };
}

async function listen(server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
}

function recordOf(
  hostKind: 'api' | 'object',
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): LibraryRecordedRequest {
  const headers = { ...req.headers };
  for (const h of SECRET_HEADERS) delete headers[h];
  const q = Object.fromEntries(query);
  if (q['X-Amz-Signature'] !== undefined) q['X-Amz-Signature'] = '[redacted]';
  const record: LibraryRecordedRequest = {
    host: hostKind,
    method: req.method ?? 'GET',
    path,
    query: q,
    headers,
    authorization: req.headers.authorization !== undefined,
    startedAt: Date.now(),
  };
  res.once('close', () => {
    record.durationMs = Date.now() - record.startedAt;
  });
  // Read lazily so the status is right even while the body is still streaming or after a drop.
  Object.defineProperty(record, 'status', { enumerable: true, get: () => (res.headersSent ? res.statusCode : undefined) });
  return record;
}

async function handle(
  ctx: ServerContext,
  hostKind: 'api' | 'object',
  requests: LibraryRecordedRequest[],
  req: IncomingMessage,
  res: ServerResponse,
  run: (ex: Exchange) => void | Promise<void>,
): Promise<void> {
  const parsed = new URL(req.url ?? '/', 'http://library');
  let path = parsed.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // keep the raw path; routes will simply not match
  }
  const record = recordOf(hostKind, req, res, path, parsed.searchParams);
  requests.push(record);
  const ex: Exchange = { req, res, ctx, record, method: record.method, path, query: parsed.searchParams };
  try {
    const delay = ctx.faults.delayFor(hostKind);
    if (delay) await sleep(delay);
    const failure = ctx.faults.takeRequestFailure(hostKind, path);
    if (failure === 'drop') {
      req.resume();
      return void res.socket?.destroy();
    }
    if (failure !== undefined) {
      req.resume();
      const body = ctx.faults.current.failRequests?.body;
      if (hostKind === 'api' && body !== undefined) return sendJson(res, failure, body);
      return hostKind === 'api'
        ? sendError(res, failure, 'injected failure')
        : sendS3Error(res, failure, 'InternalError', 'injected failure');
    }
    await run(ex);
  } catch (err) {
    if (!res.headersSent) {
      if (hostKind === 'api') sendError(res, 500, 'Internal Server Error');
      else sendS3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
    } else res.destroy(err instanceof Error ? err : undefined);
  }
}
