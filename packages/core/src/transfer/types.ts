/** Options shared by every HTTP call the core makes for a backend. */
export interface HttpOptions {
  headers?: Record<string, string>;
  /** ms without any byte before the attempt is abandoned (default 30 000) */
  timeoutMs?: number;
  /** skip TLS verification (SREGISTRY_HTTPS_NOVERIFY); the caller prints the warning */
  insecure?: boolean;
  signal?: AbortSignal;
  /** receives debug lines; URLs and headers are redacted before they get here */
  debug?: (line: string) => void;
  /**
   * Longest Retry-After (429/503) that is waited out, in ms (default 30 000). A longer one is not waited for:
   * a JSON call returns the answer, a download fails with a rate-limit error.
   */
  maxRetryAfterMs?: number;
  /** no retry starts once this many ms have passed since the first attempt (default SREGISTRY_RETRY_MAX_TIME, 300 s) */
  maxRetryTimeMs?: number;
  /**
   * The setting that turns the https:// of this URL into http:// (e.g. SREGISTRY_HUB_NOHTTPS), given when the
   * backend put the scheme in front of an address written without one: a failed TLS handshake then names it
   * in the fix, since the user never typed the https:// the generic "check the URL scheme" is about. Since 1.6.0
   * (older hosts ignore it).
   */
  plainHttpSetting?: string;
}

export interface JsonRequest extends HttpOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  url: string;
  /** serialised as JSON with Content-Type application/json */
  json?: unknown;
  /** retries on connection errors and 502/503/504 for idempotent methods (default 2) */
  retries?: number;
  /** first backoff in ms between retries (default 500, doubled each time, capped at 8 s) */
  backoffMs?: number;
  /** redirects followed for GET/HEAD (default 5); other methods get the 3xx answer back */
  maxRedirects?: number;
}

/** An HTTP answer of any status: JSON calls never throw on status, the backend interprets it. */
export interface JsonResponse<T = unknown> {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  /** parsed JSON when the body is JSON (including bare numbers like `400`), else undefined */
  data: T | undefined;
  /** the raw body text (first 64 KiB) */
  text: string;
  /** true when the body parsed as JSON */
  isJson: boolean;
}

export type HashName = 'sha256' | 'md5';

export interface DownloadRequest extends HttpOptions {
  url: string;
  /** file to write; created or truncated; the caller places it atomically afterwards */
  dest: string;
  /** hashes computed while the bytes stream (one pass); sha256 is always computed */
  hashes?: HashName[];
  /** size the service promised, checked in addition to Content-Length */
  expectedSize?: number;
  /** attempts after the first on a dropped connection or 5xx (default 4), with backoff */
  retries?: number;
  /** first backoff in ms (default 500, doubled each time, capped at 8 s); Retry-After wins when present */
  backoffMs?: number;
  onProgress?: (received: number, total: number | undefined) => void;
  /** redirects followed per attempt (default 5) */
  maxRedirects?: number;
  /**
   * Hash on a worker thread (true) or on the main thread (false). Default: a worker for files of 16 MiB or more
   * (or of unknown size) on machines with at least 4 CPUs, where it lets hashing overlap receiving.
   */
  hashInWorker?: boolean;
  /** abandon an attempt whose average speed stays below this many bytes/s (default SREGISTRY_SPEED_LIMIT; 0 = off)… */
  speedLimit?: number;
  /** …for this many ms (default SREGISTRY_SPEED_TIME, 60 s) */
  speedTimeMs?: number;
  /**
   * Sees the first bytes of the body (up to HEAD_BYTES, fewer if the body is shorter) once, before the rest is
   * awaited, with the size the server announced (undefined: no Content-Length). Throwing a UserError (or
   * rejecting with one) abandons the download: what to refuse is the caller's business.
   */
  onHead?: (head: Buffer, announcedSize: number | undefined) => void | Promise<void>;
  /**
   * Download in concurrent Range requests of `size` bytes, `concurrency` at a time, when the server (after its
   * redirects) answers the first one with 206; otherwise one resumable stream. Parts are retried one by one
   * and written and hashed in order. Since host API 1.2.0.
   */
  parts?: { size: number; concurrency: number };
}

/** A DownloadRequest with the transfer settings read (downloadToFile does it once, before any file or request). */
export type SettledDownload = DownloadRequest &
  Required<Pick<DownloadRequest, 'timeoutMs' | 'maxRetryTimeMs' | 'speedLimit' | 'speedTimeMs'>>;

export interface DownloadResult {
  size: number;
  sha256: string;
  md5?: string;
  contentType?: string;
  /** how many attempts were needed and whether a Range resume was used */
  attempts: number;
  resumed: boolean;
}

/** A raw request body read from a file (or a byte range of it): a presigned PUT to object storage. */
export interface FileUploadRequest extends HttpOptions {
  url: string;
  /** default PUT */
  method?: 'PUT' | 'POST' | 'PATCH';
  file: string;
  /** first byte to send (default 0) */
  start?: number;
  /** byte after the last one to send (default: the file's size) */
  end?: number;
  /** bytes handed to the connection, of the body's length */
  onProgress?: (sent: number, total: number) => void;
  /** ms to wait for the answer once the body is sent (default 600 000) */
  answerTimeoutMs?: number;
}

export interface MultipartField {
  name: string;
  value: string;
}

export interface MultipartFile {
  field: string;
  path: string;
  filename: string;
  contentType?: string;
}

export interface UploadRequest extends HttpOptions {
  url: string;
  /** text fields, sent in this order before the file */
  fields: MultipartField[];
  file: MultipartFile;
  /** bytes of the request body handed to the connection, and the body's Content-Length */
  onProgress?: (sent: number, total: number) => void;
  /**
   * ms to wait for the answer once the whole body is sent (default 600 000): the server stores and hashes the
   * file before it answers. `timeoutMs` still bounds the time without progress while sending.
   */
  answerTimeoutMs?: number;
}
