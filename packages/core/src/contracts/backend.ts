import type { BackendHost } from './host';
import type { ImageName } from './image-name';
import type { ImageRecord } from './records';

export type Capability = 'pull' | 'push' | 'search' | 'delete' | 'labels';
export const CAPABILITIES: readonly Capability[] = ['pull', 'push', 'search', 'delete', 'labels'];

/** Log sink handed to backends; `debug` lines appear only with --debug and never contain secrets. */
export interface BackendLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

/** Settings lookup for one backend: environment first, then the backend's section of the secrets file. */
export interface BackendSettings {
  get(name: string): string | undefined;
  /**
   * true for yes/true/t/1/y, false for no/false/f/n/0 or unset (any case); any other value is a UserError naming
   * the setting and its value (code ESETTING), so a typo is not run as "no".
   */
  getBoolean(name: string): boolean;
  /** Like get, but a missing value is a UserError naming the variable and how to set it. */
  require(name: string, hint?: string): string;
  /**
   * The value the backend's section of the secrets file holds, whatever the environment says: what a saved
   * credential was saved with (a token and the address it is for). Optional: hosts before 2026-12 lack it.
   */
  fromSecretsFile?(name: string): string | undefined;
  /**
   * A count or size setting: undefined when unset, else a positive whole number; any other value is a UserError
   * naming the setting and its value (code ESETTING), so a typo is not run as the default. Optional, as above.
   */
  positiveInteger?(name: string): number | undefined;
}

/** What a backend says about an image it can deliver; the core does the transfer and the cataloguing. */
export interface RemoteImage {
  /** the name the image is catalogued under (collection/image:tag, version optional) */
  name: ImageName;
  /**
   * The version recorded in the catalogue. When absent the core records the file's SHA-256
   * (the original's behaviour for registry pulls and local adds).
   */
  version?: string;
  /** where to GET the bytes; no Authorization is sent unless `headers` carries it */
  url: string;
  headers?: Record<string, string>;
  /** expected byte count, when the service states it (in addition to Content-Length) */
  size?: number;
  /** expected digests; a mismatch fails the pull unless the user opts out */
  md5?: string;
  sha256?: string;
  /**
   * The `@version` the user asked for, when `md5`/`sha256` carry its digest: a mismatch is then reported as
   * "not the requested version" rather than as a corrupted download.
   */
  requestedVersion?: string;
  /** the service's manifest, kept in the record's metrics */
  manifest: Record<string, unknown>;
  /** where the image came from, stored as the record's url */
  sourceUrl?: string;
  /** skip TLS verification for the download (the user turned it off for this backend) */
  insecure?: boolean;
  /**
   * Download in concurrent Range requests (`size` bytes each, `concurrency` at a time) when the server allows
   * it, as object storage behind a redirect does; otherwise one resumable stream. Since host API 1.2.0.
   */
  parts?: { size: number; concurrency: number };
  /**
   * `'sif'`: the service says it holds a SIF (an ORAS artifact's SIF layer), so anything else is refused after
   * the download and nothing is kept, as Apptainer deletes a pull that is not a valid SIF. Left out, any image
   * format is kept. Since host API 1.4.0 (an older core ignores it).
   */
  format?: 'sif';
  /**
   * For a service whose names the catalogue name folds (an OCI tag keeps its case, every catalogue name is lower
   * case): asked, before the download, of each record this backend catalogued under `name` (any version), it
   * returns the source that record was pulled from (`host/repository:V1`) when that is not this pull's, else
   * undefined. Such a record refuses the pull, which then changes nothing: otherwise both would be one catalogue
   * name and `get` of it would give whichever was catalogued last. Since host API 1.5.0 (an older core ignores it).
   */
  otherSource?(record: ImageRecord): string | undefined;
  /**
   * The architecture `pull --arch` asked for, when the service could not choose by it (it holds one image under
   * the name, not one per architecture): after the download core reads the SIF's architecture and warns when it
   * names another, so that the flag is not silently ignored. Since host API 1.7.0 (an older core ignores it).
   */
  expectArch?: string;
}

export interface PullOptions {
  signal?: AbortSignal;
  /** `pull --arch`: the architecture asked for, for services that keep one image per architecture (since 1.2.0) */
  arch?: string;
}

/** What `delete` is given besides the name (since 1.4.0; older backends ignore it). */
export interface DeleteOptions {
  /** `delete --arch`: the architecture whose image goes, for services that keep one image per architecture */
  arch?: string;
}

export interface PushRequest {
  file: string;
  size: number;
  name: ImageName;
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

export interface PushResult {
  /** one line for the user, e.g. `Upload Complete` */
  message: string;
  /** the image's name as the service stores it, when that differs from the request (e.g. a normalised collection) */
  uri?: string;
  /** what the server now reports for the image, when it can be read back */
  version?: string;
  url?: string;
  /** server answers, step by step, for --json */
  details?: Record<string, unknown>;
}

export interface SearchResult {
  /** heading line, e.g. `Collections` or `Containers vanessa/tacos` */
  heading: string;
  /** table rows (cells are joined by TAB when printed) */
  rows: string[][];
  /** structured items for --json */
  items: unknown[];
  /** printed (exit 1) when there are no rows, unless `exists` */
  emptyMessage: string;
  /** the fix printed with it (default: to search for less) */
  emptyFix?: string;
  /**
   * Every cell is escaped whole when printed (server text must not add lines). A backend whose cells span
   * lines on purpose sets this and escapes the server's strings inside them itself (`host.printable`).
   */
  multilineCells?: boolean;
  /** what was searched for exists (a collection without images): no rows print the heading alone, exit 0 */
  exists?: boolean;
}

export interface DeleteResult {
  status: number;
  message: string;
  /** the image's name as the service has it, when that differs from the request (e.g. a normalised collection) */
  uri?: string;
}

export interface LabelQuery {
  key?: string;
  value?: string;
}

/**
 * A remote service. Every operation is optional: what a backend implements is what it can do
 * (`capabilitiesOf` derives the list). Errors the user can fix are thrown as `UserError` (one line + fix).
 */
export interface Backend {
  readonly name: string;
  readonly description?: string;
  /** Resolve a name to a downloadable image (implements `pull`). */
  resolve?(name: ImageName, options?: PullOptions): Promise<RemoteImage>;
  push?(request: PushRequest): Promise<PushResult>;
  search?(query: string | undefined): Promise<SearchResult>;
  delete?(name: ImageName, options?: DeleteOptions): Promise<DeleteResult>;
  labels?(query: LabelQuery): Promise<SearchResult>;
  /** extra announce line(s), e.g. the registry base; must not contain secrets */
  describe?(): string | undefined;
  /**
   * What the backend really offers, when that differs from the methods it has: a method may exist only to
   * explain why the service cannot do something (the Hub archive has no search).
   */
  readonly capabilities?: readonly Capability[];
  /**
   * The image formats the service holds, when it holds only some (an OCI registry's SIF layer holds a SIF): a push
   * of a file of another format is refused by core before the backend is called (ENOTSIF). Left out, any file is
   * pushed (one that is no image with a warning). Since host API 1.8.0 (an older core ignores it).
   */
  readonly pushFormats?: readonly PushFormat[];
}

/** The image formats core recognises in a file to push. */
export type PushFormat = 'sif' | 'squashfs' | 'ext3';

export interface BackendContext {
  /** the backend's name as selected (`registry`, `hub`, …) */
  name: string;
  settings: BackendSettings;
  log: BackendLogger;
  /** the host API (errors, names, requests, downloads, uploads, digests, redaction, settings names) */
  host: BackendHost;
  /**
   * @deprecated the same object as `host`, kept so that backends written for core 0.1 (`ctx.core.UserError`,
   * `ctx.core.requestJson`, `ctx.core.redactUrl`, `ctx.core.parseImageName`) keep working; it no longer holds
   * the whole of core. Use `ctx.host`; `core` goes in core 1.0.
   */
  core: BackendHost;
}

/** What a backend module exports (the file named in package.json `sregistry.backends`). */
export interface BackendModule {
  createBackend(context: BackendContext): Backend | Promise<Backend>;
  /**
   * name parsing rules for this backend, e.g. the hub keeps case; OCI backends accept `@sha256:<hex>` versions
   * (`example`: the URI shape a refused name is told to take, e.g. `oras://<host>/<repository>:<tag>`;
   * `loginCommand`: how a login for `<host>` is stored, told when a URI carries `user:password@host`)
   */
  parseOptions?: { lowercase?: boolean; digestVersions?: boolean; example?: string; loginCommand?: string };
  /**
   * The catalogue name (`collection/name:tag[@version]`) a pull of `input` (a URI of this backend's scheme) records,
   * when it can be told without asking the server; undefined leaves the generic rule. Local commands (`get`,
   * `inspect`, `rmi`, `mv`, `rename`) look `input` up under it, so `get library://alpine` finds what
   * `pull library://alpine` catalogued as `library/default/alpine:latest`. Optional.
   */
  localName?(input: string, host: BackendHost): string | undefined;
  /** URI schemes that select this backend besides its own name, e.g. `shub` for the hub */
  schemes?: string[];
  description?: string;
  /**
   * The settings the backend reads, by the name `backend add <backend> <name>` takes (`base`, `token`), each
   * with a one-line description; stored as SREGISTRY_<BACKEND>_<NAME>. `backend add` refuses other names
   * unless --force. A backend that declares none gets any name, with a warning.
   */
  settings?: Record<string, string>;
  /**
   * What kind of value some of those settings take, by the same short names: `backend add` refuses a value of
   * another kind in one line (ESETTING) instead of storing what every later command would refuse. Optional and
   * beside `settings`, so that hosts that do not know it still read `settings` as descriptions.
   */
  settingKinds?: Record<string, SettingKind>;
}

/** `yes/no`: a word getBoolean takes; `positive integer`: a whole number above 0, as positiveInteger reads. */
export type SettingKind = 'yes/no' | 'positive integer';

export function capabilitiesOf(backend: Backend): Capability[] {
  if (backend.capabilities) return CAPABILITIES.filter((c) => backend.capabilities?.includes(c));
  const has: Record<Capability, boolean> = {
    pull: typeof backend.resolve === 'function',
    push: typeof backend.push === 'function',
    search: typeof backend.search === 'function',
    delete: typeof backend.delete === 'function',
    labels: typeof backend.labels === 'function',
  };
  return CAPABILITIES.filter((c) => has[c]);
}
