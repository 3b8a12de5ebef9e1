import fs from 'node:fs';
import { shadowLine } from '../backends/discover';
import { installHint } from '../backends/packages';
import { BackendRegistry } from '../backends/registry';
import { type Selection, selectBackend } from '../backends/select';
import type { LockWait } from '../catalog/db-errors';
import type { Catalog } from '../catalog/index';
import { type DatabaseLocation, parseDatabaseLocation } from '../catalog/location';
import type { CatalogReader, CatalogView } from '../catalog/reader';
import type { Backend, BackendLogger, BackendSettings } from '../contracts/backend';
import type { ImageName } from '../contracts/image-name';
import { isUserError, UserError } from '../errors';
import { levelFromEnv } from '../output/levels';
import { Output } from '../output/output';
import { printable } from '../output/untrusted';
import { backendSettings } from '../settings/backend-settings';
import { databaseDisabled, databaseTimeoutMs, databaseWal, type Env, type Paths, resolvePaths } from '../settings/env';
import type { SecretsFile } from '../settings/secrets';
import { type ParseOptions, parseImageName } from '../uri/parse';

export interface SessionOptions {
  env?: Env;
  output?: Output;
  backends?: BackendRegistry;
}

export interface ActiveBackend {
  name: string;
  reason: Selection['reason'];
  backend: Backend;
  parse(input: string, options?: ParseOptions): ImageName;
}

/**
 * Everything one command needs, opened lazily: the secrets file is read only by commands that need it, the
 * database only by commands that touch the catalogue, and a backend module only when it is used.
 */
export class Session {
  readonly env: Env;
  readonly paths: Paths;
  readonly out: Output;
  readonly backends: BackendRegistry;
  private catalogPromise?: Promise<Catalog>;
  private plainReader?: CatalogReader;
  private secretsFile?: SecretsFile;
  private location?: DatabaseLocation;
  /** the backend chosen by default (no scheme, no SREGISTRY_CLIENT, none active) once a command talked to it */
  defaultBackendUsed?: string;

  constructor(options: SessionOptions = {}) {
    this.env = options.env ?? process.env;
    this.paths = resolvePaths(this.env);
    // the CLI's defaults: MESSAGELEVEL from the environment, results on stdout, diagnostics on stderr
    this.out = options.output ?? new Output({ level: levelFromEnv(this.env.MESSAGELEVEL), json: false, quiet: false });
    this.backends = options.backends ?? new BackendRegistry();
  }

  /** The secrets file (read on first use; its module is loaded only by commands that need it). */
  get secrets(): SecretsFile {
    if (!this.secretsFile) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { SecretsFile } = require('../settings/secrets') as typeof import('../settings/secrets');
      this.secretsFile = new SecretsFile(this.paths.secretsFile, (m) => this.out.warn(m));
    }
    return this.secretsFile;
  }

  get databaseDisabled(): boolean {
    return databaseDisabled(this.env);
  }

  /**
   * Where the catalogue is (SREGISTRY_DATABASE): the SQLite file in a folder, or a PostgreSQL database. A value
   * that is neither fails here, in one line (code EDBURL), before anything is created.
   */
  get database(): DatabaseLocation {
    this.location ??= parseDatabaseLocation(this.env.SREGISTRY_DATABASE, this.env);
    return this.location;
  }

  /** SREGISTRY_DATABASE when it names a PostgreSQL database rather than a folder (password and all: never print). */
  get postgresUrl(): string | undefined {
    const location = this.database;
    return location.kind === 'postgres' ? location.url : undefined;
  }

  /**
   * `sqlite:///<path>` as the original's announce line shows it, `postgresql://user@host:port/db` (never the
   * password) for a team catalogue, or `dummy` when the catalogue is off.
   */
  get databaseUrl(): string {
    return this.databaseDisabled ? 'dummy' : this.database.announce;
  }

  /** Whether a catalogue exists to consult without creating one: a team database always, a SQLite file if made. */
  hasCatalogue(): boolean {
    if (this.databaseDisabled) return false;
    const location = this.database;
    return location.kind === 'postgres' || fs.existsSync(location.file);
  }

  catalog(purpose = 'this command'): Promise<Catalog> {
    if (this.databaseDisabled) return Promise.reject(disabledError(purpose));
    let location: DatabaseLocation;
    try {
      location = this.database;
    } catch (error) {
      return Promise.reject(error);
    }
    // loaded on first use: TypeORM is the heaviest part of start-up and most commands never need it
    this.catalogPromise ??= Promise.resolve().then(() => {
      // as libpq does, once: a password file that group or others can read is skipped
      if (location.kind === 'postgres' && location.passwordFileWarning) this.out.warn(location.passwordFileWarning);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { openCatalog } = require('../catalog/lazy') as typeof import('../catalog/lazy');
      return openCatalog({
        databaseFile: this.paths.databaseFile,
        databaseUrl: location.kind === 'postgres' ? location.url : undefined,
        env: this.env,
        storageDir: this.paths.storageDir,
        wal: databaseWal(this.env),
        lockWait: this.lockWait(),
      });
    });
    return this.catalogPromise;
  }

  /**
   * The catalogue for commands that only read it: the plain reader (no TypeORM) when the catalogue needs no
   * upkeep, otherwise the full catalogue, which creates, repairs and sweeps first.
   */
  async catalogView(purpose = 'this command'): Promise<CatalogView> {
    if (this.databaseDisabled) throw disabledError(purpose);
    if (!this.catalogPromise && (await this.openFastReader())) return this.plainReader as CatalogReader;
    return this.catalog(purpose);
  }

  /**
   * Opens the plain reader of either database when the catalogue allows it: SQLite's (openPlainReader) or, for a
   * team catalogue, PostgreSQL's through `pg` alone (catalog/reader-postgres.ts); false when it does not.
   */
  async openFastReader(): Promise<boolean> {
    if (this.plainReader) return true;
    if (this.databaseDisabled) return false;
    let location: DatabaseLocation;
    try {
      location = this.database;
    } catch {
      return false; // the full catalogue says what is wrong with the value
    }
    if (location.kind === 'sqlite') return this.openPlainReader();
    // the plain pg reader takes no lock and creates no file, so it reads neither setting; they are checked all the
    // same, as every other way into the catalogue checks them, so that a bad value is refused whichever command reads it
    this.checkCatalogueSettings();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { openPostgresReader } = require('../catalog/reader-postgres') as typeof import('../catalog/reader-postgres');
    this.plainReader = await openPostgresReader({ url: location.url, storageDir: this.paths.storageDir, env: this.env });
    return this.plainReader !== undefined;
  }

  /** Opens the plain reader if the catalogue allows it (see openCatalogReader); false when it does not. */
  openPlainReader(): boolean {
    // the plain reader reads SQLite; any other location is the full catalogue's to open (or to refuse)
    if (!this.plainReader && !this.databaseDisabled && this.sqliteLocation()) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { openCatalogReader } = require('../catalog/reader') as typeof import('../catalog/reader');
      // the plain reader creates no file, so SREGISTRY_DATABASE_WAL does nothing here; a bad value is refused all
      // the same: `images` took `maybe` silently while `pull` refused it
      this.checkCatalogueSettings();
      this.plainReader = openCatalogReader({
        databaseFile: this.paths.databaseFile,
        storageDir: this.paths.storageDir,
        lockWait: this.lockWait(),
      });
    }
    return this.plainReader !== undefined;
  }

  /** The catalogue's own settings, refused in one line (ESETTING) by every way into the catalogue alike. */
  private checkCatalogueSettings(): void {
    databaseTimeoutMs(this.env);
    databaseWal(this.env);
  }

  /** How long the catalogue waits for another process's lock (SREGISTRY_DATABASE_TIMEOUT), told after 2 s. */
  private lockWait(): LockWait {
    return { timeoutMs: databaseTimeoutMs(this.env), onWait: (m) => this.out.warn(m) };
  }

  private sqliteLocation(): boolean {
    try {
      return this.database.kind === 'sqlite';
    } catch {
      return false;
    }
  }

  /**
   * Local lookups use the original's parse rules (defaults on, lower-cased). A URI whose scheme is an installed
   * backend that knows its catalogue names (BackendModule.localName) is looked up under the name its pull records.
   */
  parseLocal(input: string): ImageName {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(input)?.[1]?.toLowerCase();
    if (scheme && this.backends.has(scheme)) {
      let local: string | undefined;
      try {
        // the host API (transfers and all) loads only for a backend that asks for it: `?.` skips the argument too
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        local = this.backends
          .module(scheme)
          .localName?.(input, (require('../backends/host') as typeof import('../backends/host')).backendHost());
      } catch (error) {
        // a name the backend refuses is refused; a backend that cannot load leaves the generic rule
        if (isUserError(error) && error.code === 'EBADNAME') throw error;
      }
      if (local) return parseImageName(local);
    }
    return parseImageName(input);
  }

  /**
   * A name for a new local record (`add --name`, `rename`'s new name): as parseLocal, but a first part that reads
   * as a registry host is refused instead of being dropped (`.tmp/journal:x` would otherwise become `journal:x`).
   */
  parseNewLocal(input: string, label: string): ImageName {
    const name = parseImageName(input);
    if (name.registry) {
      throw new UserError(`${label} ${input} names a registry (${name.registry})`, {
        fix: 'local names are collection/name[:tag][@version], without a host or a leading "."',
        code: 'EBADNAME',
      });
    }
    return name;
  }

  logger(): BackendLogger {
    return {
      debug: (m) => this.out.debug(m),
      info: (m) => this.out.info(m),
      warn: (m) => this.out.warn(m),
    };
  }

  selection(uri?: string): Selection {
    return selectBackend({ uri, env: this.env, secrets: this.secrets, registry: this.backends });
  }

  /** A backend's settings as its backend reads them (the environment, then its section of the secrets file). */
  settingsFor(backend: string): BackendSettings {
    return backendSettings(backend, this.secrets, this.env);
  }

  /** Chooses and creates the backend for a URI (scheme, SREGISTRY_CLIENT, secrets file, then hub). */
  async backend(uri?: string): Promise<ActiveBackend> {
    const { name, reason } = this.selection(uri);
    this.out.debug(`backend ${name} (chosen by ${reason})`);
    const entry = this.backends.entry(name);
    const shadowed = entry && 'modulePath' in entry ? shadowLine(entry) : undefined;
    if (shadowed) this.out.warn(printable(shadowed, { max: 0 }));
    const mod = this.backends.module(name);
    const backend = await this.backends.create(name, { settings: this.settingsFor(name), log: this.logger() });
    const parseDefaults = mod.parseOptions ?? {};
    return {
      name,
      reason,
      backend,
      parse: (input, options) => parseImageName(input, { ...parseDefaults, ...options }),
    };
  }

  /**
   * A secrets file that configures exactly one other backend while none is active (a token file saved as
   * ~/.sregistry, never activated) most likely means that one: when a command that used the default backend
   * fails, say so before its error (announce records the default's use; the command base calls this).
   */
  warnIfOtherConfigured(): void {
    const chosen = this.defaultBackendUsed;
    if (chosen === undefined) return;
    let configured: string[];
    try {
      configured = this.secrets.exists() ? this.secrets.backends() : [];
    } catch {
      return; // a broken file is reported where it is read for settings
    }
    const [only] = configured;
    if (configured.length !== 1 || only === undefined || only === chosen) return;
    const activate = `sregistry backend activate ${only}`;
    const how = this.backends.has(only) ? `run: ${activate}` : `${installHint(only)}, then: ${activate}`;
    this.out.warn(`no backend is active, so ${chosen} is used, but ${this.secrets.file} configures ${only}; ${how}`);
  }

  async close(): Promise<void> {
    await this.plainReader?.close();
    if (this.catalogPromise) {
      const catalog = await this.catalogPromise.catch(() => undefined);
      await catalog?.close();
    }
  }
}

function disabledError(purpose: string): UserError {
  return new UserError(`${purpose} needs the local database, which SREGISTRY_DISABLE turns off`, {
    fix: 'unset SREGISTRY_DISABLE (and SINGULARITY_DISABLE_CACHE)',
    code: 'EDISABLED',
  });
}
