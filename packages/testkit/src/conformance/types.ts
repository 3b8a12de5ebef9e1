import type * as Core from '@sregistry/core';

export type CoreModule = typeof Core;

/** One image the service under test holds, as the backend should deliver it. */
export interface ConformanceImage {
  /** the name to pull, scheme included so the backend is chosen by it (e.g. `registry://vanessa/tacos:latest`) */
  uri: string;
  /** SHA-256 (hex) of the bytes the pull must store */
  sha256: string;
  /** byte count of the image, when known */
  size?: number;
  /** the version the catalogue must record; default: whatever the backend reports (else the core's SHA-256) */
  version?: string;
  /** where the image is catalogued, when the backend names it differently from the URI */
  stored?: { collection: string; image: string; tag: string };
}

/** A running service with a known image, started for the suite and stopped after it. */
export interface ConformanceService {
  image: ConformanceImage;
  /** a name (scheme included) the service does not hold: the pull must fail with a one-line UserError */
  missing: string;
  /** settings as environment variables (the session sees only these, plus HOME) */
  env?: Record<string, string>;
  /** contents of the secrets file (`~/.sregistry`) in the temporary HOME */
  secrets?: Record<string, unknown>;
  /** values that must never appear in output, errors or describe() (tokens found in env/secrets are added) */
  secretValues?: string[];
  stop(): Promise<void>;
}

export interface ConformanceOptions {
  /** the backend's name, as in package.json `sregistry.backends` (e.g. `registry`) */
  name: string;
  /** the backend module (what the file named in `sregistry.backends` exports) */
  module: Core.BackendModule;
  /** starts the service the backend talks to, holding `image` */
  start(): Promise<ConformanceService>;
  /** the @sregistry/core to test against (default: the one `@sregistry/testkit` resolves) */
  core?: CoreModule;
  /** more names the backend must refuse (scheme included) besides the suite's own */
  badNames?: string[];
  /** time limit of each check, ms (default 60 s) */
  timeoutMs?: number;
}
