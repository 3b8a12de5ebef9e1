// The host API: everything of sregistry a backend may use, reached through `ctx.host`. It is a type here and is
// built in one place (backends/host.ts), so a backend imports types only and never loads a second core; what is
// not in this interface is internal and may change in any release.

import type { FileDigests } from '../catalog/hash';
import type { ErrorCode, UserError } from '../errors';
import type {
  DownloadRequest,
  DownloadResult,
  FileUploadRequest,
  HashName,
  JsonRequest,
  JsonResponse,
  UploadRequest,
} from '../transfer/types';
import type { ParseOptions, PartialImageName } from '../uri/parse';
import type { ImageName } from './image-name';

/**
 * Version of the host API, bumped in its minor part when members are added and in its major part when one
 * changes or goes. A plugin states the cores it fits with a `peerDependencies` range on `@sregistry/core`.
 */
export const HOST_API_VERSION = '1.8.0';

/**
 * The core's one retry policy (the downloads'), for a backend that must repeat a step core cannot repeat for it
 * (e.g. a whole upload session). Since 1.3.0.
 */
export interface RetryPolicy {
  /** retries after the first attempt */
  readonly retries: number;
  /** no retry starts once this many ms have passed since the first attempt (SREGISTRY_RETRY_MAX_TIME) */
  readonly maxTimeMs: number;
  /** whether a status may succeed a moment later (408, 429, 5xx); any other 4xx is never retried */
  retryableStatus(status: number): boolean;
  /**
   * whether a failure is a dropped, reset or timed-out connection (on the error or its causes); a refused
   * connection counts only when `retrying` (on a first attempt it means the server is not there)
   */
  transientError(error: unknown, retrying?: boolean): boolean;
  /** the wait before retry number `retry` (0 first): the server's Retry-After when given and at most the cap, else backoff */
  delayMs(retry: number, retryAfter?: string): number;
  /** sleeps `ms`; rejects with the cancellation error as soon as `signal` aborts */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** What `createBackend` and plugin code may call on the host (`ctx.host`). */
export interface BackendHost {
  /** this interface's version, HOST_API_VERSION of the host */
  readonly apiVersion: string;
  /** the version of the host's @sregistry/core */
  readonly coreVersion: string;

  /** Errors: throw `new host.UserError(message, { fix, code })` for anything the user can fix. */
  readonly UserError: typeof UserError;
  isUserError(error: unknown): error is UserError;

  /** Names: the core's parser (client-spec §4); the backend's `parseOptions` apply to names the CLI hands over. */
  parseImageName(input: string, options: ParseOptions & { defaults: false }): PartialImageName;
  parseImageName(input: string, options?: ParseOptions): ImageName;

  /**
   * One HTTP request with a JSON (or text) answer. It retries connection errors and 502/503/504, follows
   * redirects, and turns network failures into one-line UserErrors; it never throws because of a status.
   */
  requestJson<T = unknown>(request: JsonRequest): Promise<JsonResponse<T>>;
  /** Streams a URL into a file, hashing as it goes, with retries and Range resume (concurrent parts since 1.2.0). */
  downloadToFile(request: DownloadRequest): Promise<DownloadResult>;
  /** A streamed multipart/form-data POST with an exact Content-Length; the answer is read like requestJson's. */
  uploadMultipart<T = unknown>(request: UploadRequest): Promise<JsonResponse<T>>;
  /**
   * A raw body streamed from a file or a byte range of it (e.g. a presigned PUT), with an exact Content-Length;
   * no redirects, no retries; the answer is read like requestJson's. Since 1.2.0.
   */
  uploadFile<T = unknown>(request: FileUploadRequest): Promise<JsonResponse<T>>;
  /** The core's retry policy (attempts, SREGISTRY_RETRY_MAX_TIME, backoff, Retry-After). Since 1.3.0. */
  retryPolicy(): RetryPolicy;
  /** Digests of a file in one streaming pass (sha256 always, md5 when asked). */
  fileDigests(file: string, names?: HashName[], signal?: AbortSignal): Promise<FileDigests>;

  /**
   * The architecture a SIF image is built for (its primary partition's, else the header's), in Go's words
   * (`amd64`, `arm64`); undefined when the file is not a SIF or names none. Since 1.2.0.
   */
  imageArch(file: string): Promise<string | undefined>;

  /** Redaction: a URL with credentials and signed query parameters masked, for messages and debug lines. */
  redactUrl(url: string | URL): string;
  /** Headers with Authorization, cookies and tokens masked. */
  redactHeaders(headers: Record<string, unknown> | undefined): Record<string, string>;
  /** Only scheme, host and port of a URL, for messages (since 1.1.0). */
  urlOrigin(url: string | URL): string;
  /**
   * Text from a server (a detail, a name, a message) made safe for one line of output: credentials masked,
   * control characters escaped, at most `max` characters (default 200; 0 = no cap). Since 1.1.0.
   */
  printable(value: unknown, options?: { max?: number }): string;

  /** Files: writes a file of the backend's own (a login, a config) atomically, mode 0600 unless given. */
  writeFileAtomic(file: string, data: string | Uint8Array, mode?: number): Promise<void>;
  /**
   * Runs `work` holding `file`'s lock (`<file>.lock`, the one the secrets file uses), so two commands that read,
   * change and write back one file at once do not lose a change: read the file inside `work`. It waits a few
   * seconds for another holder, then fails in one line (`what` names the file, `code` defaults to EUSER); where no
   * lock can be made (a read-only or missing folder) `work` runs unlocked. Since 1.4.0. A lock another command took
   * over while this one was stopped (kill -STOP past its 10 s stale time) fails the command in one line (`code`)
   * once `work` is done, rather than with proper-lockfile's uncaught ECOMPROMISED.
   */
  withFileLock<T>(file: string, work: () => Promise<T>, options?: { what?: string; code?: ErrorCode }): Promise<T>;

  /** Settings: the variable name a setting is stored under, `SREGISTRY_<BACKEND>_<VARIABLE>` (upper case). */
  settingName(backend: string, variable: string): string;
}
