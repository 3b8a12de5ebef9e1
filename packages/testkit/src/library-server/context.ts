// What every route handler receives: the request/response pair, the shared state, settings and faults, and the
// request's record in handle.requests.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultState } from './faults';
import type { Presigner } from './presign';
import type { LibraryState } from './state';
import type { LibraryRecordedRequest, LibrarySettings } from './types';
import type { UploadStore } from './uploads';

export interface ServerContext {
  state: LibraryState;
  settings: LibrarySettings;
  faults: FaultState;
  presigner: Presigner;
  uploads: UploadStore;
  dataDir: string;
  /** API origin, once listening. */
  url: string;
  objectUrl: string;
  bucket: string;
}

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  ctx: ServerContext;
  record: LibraryRecordedRequest;
  method: string;
  /** Decoded path without the query string. */
  path: string;
  query: URLSearchParams;
}
