// The host API: everything of sregistry a backend may use, reached through `ctx.host`. It is a type here and is
// built in one place (backends/host.ts), so a backend imports types only and never loads a second core; what is
// not in this interface is internal and may change in any release.

import type { FileDigests } from '../catalog/hash';
import type { UserError } from '../errors';
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
export const HOST_API_VERSION = '1.2.0';

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

  /** Settings: the variable name a setting is stored under, `SREGISTRY_<BACKEND>_<VARIABLE>` (upper case). */
  settingName(backend: string, variable: string): string;
}
