// startRegistryServer: a real node:http server on loopback that behaves like Singularity Registry Server
// 2.1.2's native API, quirks included, with a handle for seeding, fault injection and request assertions.

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Exchange, ServerContext, Settings } from './exchange';
import { FaultState } from './faults';
import { nginxError, sendJson, serverErrorHtml } from './respond';
import { dispatch } from './router';
import { addContainer, containerInfo, seedCollections } from './seed';
import { RegistryState } from './state';
import type { RecordedRequest, RegistryServerHandle, RegistryServerOptions } from './types';
import { RehashWorker } from './worker';

export async function startRegistryServer(options: RegistryServerOptions = {}): Promise<RegistryServerHandle> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'sregistry-testkit-')));
  await mkdir(dataDir, { recursive: true });

  const state = new RegistryState({
    containerGetLimit: options.containerGetLimit ?? 100,
    collectionGetLimit: options.collectionGetLimit ?? 100,
  });
  for (const u of options.users ?? []) state.addUser(u);
  const settings: Settings = {
    domain: options.domain?.replace(/\/+$/, '') ?? '',
    pageSize: options.pageSize ?? 10,
    userCollections: options.userCollections ?? true,
    pushEnabled: options.pushEnabled ?? true,
    defaultPrivate: options.defaultPrivate ?? false,
    rangeSupport: options.rangeSupport ?? false,
    dataDir,
    registryName: options.registryName ?? 'Tacosaurus Computing Center',
    registryUri: options.registryUri ?? 'taco',
    timeZone: options.timeZone ?? 'America/Chicago',
    labels: options.labels ?? [],
  };
  const ctx: ServerContext = {
    state,
    settings,
    faults: new FaultState(options.faults),
    worker: new RehashWorker(state, options.rehashAfterMs),
  };
  const cleanup = () => (ownsDataDir ? rm(dataDir, { recursive: true, force: true }) : Promise.resolve());
  try {
    await seedCollections(ctx, options.seed ?? []);
  } catch (err) {
    await cleanup();
    throw err;
  }

  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => void handle(ctx, requests, req, res));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (!settings.domain) settings.domain = url;

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    dataDir,
    requests,
    users: state.users,
    addUser: (user) => state.addUser(user),
    addContainer: (input) => addContainer(ctx, input),
    freeze(collection, name, tag = 'latest', frozen = true) {
      const coll = state.collectionByName(collection);
      const row = coll && state.findContainers({ collectionId: coll.id, name, tag })[0];
      if (!row) throw new Error(`no container ${collection}/${name}:${tag}`);
      row.frozen = frozen;
    },
    setPrivate(collection, isPrivate) {
      const coll = state.collectionByName(collection);
      if (!coll) throw new Error(`no collection ${collection}`);
      coll.private = isPrivate;
    },
    containers: () => [...state.containers.values()].sort((a, b) => a.id - b.id).map((row) => containerInfo(ctx, row)),
    rehash: () => ctx.worker.runAll(),
    setFaults: (faults) => ctx.faults.set(faults),
    close() {
      ctx.worker.stop();
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(cleanup);
      return closed;
    },
  };
}

async function handle(ctx: ServerContext, requests: RecordedRequest[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const parsed = new URL(req.url ?? '/', 'http://fake');
  let path = parsed.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // keep the raw path; routes will simply not match
  }
  const record: RecordedRequest = {
    method: req.method ?? 'GET',
    path,
    url: req.url ?? '/',
    query: Object.fromEntries(parsed.searchParams),
    headers: { ...req.headers },
  };
  // Read lazily so the status is right even while the body is still streaming or after a drop.
  Object.defineProperty(record, 'status', { enumerable: true, get: () => (res.headersSent ? res.statusCode : undefined) });
  requests.push(record);
  const ex: Exchange = { req, res, ctx, record, method: record.method, path, query: parsed.searchParams };
  // Django's clock, not the test machine's: with a clockOffsetMs fault a client can see the skew in Date
  res.setHeader('Date', ctx.faults.now().toUTCString());
  try {
    const delay = ctx.faults.current.delayMs;
    if (delay) await sleep(delay);
    const failure = ctx.faults.takeFailure(path);
    if (failure !== undefined) return failure === 500 ? serverErrorHtml(ex) : nginxError(ex, failure);
    const authorization = req.headers.authorization;
    if (ctx.faults.current.echoAuthorization && authorization) {
      // a misconfigured proxy or debug page quoting the request back; the reason phrase must stay latin-1
      res.statusMessage = `Bad Request (echo ${authorization.replace(/[^\t\x20-\x7e]/g, '?')})`;
      return sendJson(ex, 400, { detail: `bad request: echo Authorization: ${authorization}` });
    }
    await dispatch(ex);
  } catch (err) {
    // A bug or an unexpected state: answer like Django would rather than hang the client.
    if (!res.headersSent) serverErrorHtml(ex);
    else res.destroy(err instanceof Error ? err : undefined);
  }
}
