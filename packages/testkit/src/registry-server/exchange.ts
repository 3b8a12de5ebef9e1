// What every route handler receives: the request/response pair, the server's shared state and the request's
// record in handle.requests (handlers add the parsed body to it).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultState } from './faults';
import type { RegistryState } from './state';
import type { RecordedRequest, RegistryLabel } from './types';
import type { RehashWorker } from './worker';

export interface Settings {
  /** DOMAIN_NAME; resolved to the server origin once it listens. */
  domain: string;
  pageSize: number;
  userCollections: boolean;
  pushEnabled: boolean;
  defaultPrivate: boolean;
  rangeSupport: boolean;
  dataDir: string;
  registryName: string;
  registryUri: string;
  timeZone: string;
  labels: RegistryLabel[];
}

export interface ServerContext {
  state: RegistryState;
  settings: Settings;
  faults: FaultState;
  worker: RehashWorker;
}

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  ctx: ServerContext;
  record: RecordedRequest;
  method: string;
  /** Decoded path without the query string. */
  path: string;
  query: URLSearchParams;
  /** Set for DRF views when the Accept header asks for HTML: JSON answers are then wrapped in a page. */
  browsable?: boolean;
}
