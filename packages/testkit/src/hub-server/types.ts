/** Image file formats the archive holds, named by their file extension there. */
export type HubFormat = 'sif' | 'simg' | 'img.gz';

/** One build to serve, seeded from a file on disk. */
export interface HubImageSeed {
  /** GitHub user or org (case-sensitive, like the Hub) */
  user: string;
  /** GitHub repository name (case-sensitive) */
  repo: string;
  /** recipe extension (`Singularity.foo` → `foo`); `latest` is a plain `Singularity` recipe */
  tag: string;
  /** the image file; for `img.gz` a plain file is gzipped on start, a gzip file is served as is */
  file: string;
  /** default: from the file extension (`.simg`, `.gz`), else `sif` */
  format?: HubFormat;
  branch?: string;
  /** 40-hex git commit; default: derived from user/repo/tag and the seed's position */
  commit?: string;
  /** ISO date; default: 2019-01-01 plus one day per seed, so later seeds are newer builds */
  buildDate?: string;
  /** database id; default: 1000 + the seed's position */
  id?: number;
  /** builder-reported size; default: the file size rounded up to MiB (the archive notes it is not the file size) */
  sizeMb?: number;
  /** answer `image: null`, as for a build that never finished */
  imageNull?: boolean;
  /** fields that replace the computed manifest's (the field order stays the archive's) */
  manifest?: Partial<HubManifest>;
}

/** The archive's manifest, fields in the order the service sends them. */
export interface HubManifest {
  id: number;
  name: string;
  branch: string;
  commit: string;
  tag: string;
  version: string;
  size_mb: number;
  image: string | null;
}

/** Fault injection and serving switches; every field can be changed while the server runs. */
export interface HubBehaviour {
  /** serve image bytes that do not match the version (same length, last byte flipped) */
  corrupt: boolean;
  /** announce the full Content-Length, send this many bytes, then cut the connection */
  dropAfterBytes?: number;
  /** how many downloads are cut by `dropAfterBytes` before the rest succeed (default: all) */
  dropCount?: number;
  /** answer 500 `{"detail": "Exception …"}` for these request paths (exact string, or a RegExp on the path) */
  status500: Array<string | RegExp>;
  /** answer manifest requests with 426 and this bare integer as the JSON body (the Hub's weekly quota) */
  rateLimit426?: number;
  /** the image URL answers 302 to the file's annex path instead of serving it */
  redirectDownloads: boolean;
  /** honour `Range: bytes=` on image files (the archive is a plain Apache server); default true */
  acceptRanges: boolean;
}

export interface HubServerOptions extends Partial<Omit<HubBehaviour, 'status500'>> {
  images?: HubImageSeed[];
  status500?: string | RegExp | Array<string | RegExp>;
  /** default 0: any free port on 127.0.0.1 */
  port?: number;
}

export interface HubRequestLogEntry {
  method: string;
  /** path and query as received (still percent-encoded) */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** set when the answer has been sent (or the connection was cut: then the status that was announced) */
  status?: number;
  /** bytes of body written */
  bytes: number;
}

/** A build as served: the manifest plus where its bytes are. */
export interface HubBuild {
  manifest: HubManifest;
  buildDate: string;
  format: HubFormat;
  /** the file served (the gzip for `img.gz`) */
  file: string;
  size: number;
  /** md5 of the served file (for `img.gz` it differs from the version, which is of the decompressed image) */
  fileMd5: string;
  /** path part of the archive URL, `/shub/<user>/<repo>/<tag>/<date>-<commit8>-<version8>/<version>.<ext>` */
  archivePath: string;
  /** where a redirected download lands: `/annex/objects/MD5E-s<size>--<md5>.<ext>` */
  annexPath: string;
}

export interface HubServer {
  /** `http://127.0.0.1:<port>`: use as SREGISTRY_HUB_BASE */
  origin: string;
  port: number;
  behaviour: HubBehaviour;
  requests: HubRequestLogEntry[];
  builds: HubBuild[];
  /** the manifest the service answers for `/api/container/<user>/<repo><rest>`, or undefined for 404 */
  lookup(user: string, repo: string, rest?: string): HubManifest | undefined;
  /** seed one more build while running */
  addImage(seed: HubImageSeed): Promise<HubBuild>;
  clearRequests(): void;
  close(): Promise<void>;
}
