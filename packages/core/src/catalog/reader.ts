import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { ImageName } from '../contracts/image-name';
import type { ImageRecord } from '../contracts/records';
import { JOURNAL_DIR_NAME, TEMP_DIR_NAME } from '../storage/names';
import { tempFolderNeedsSweep } from '../storage/temp-files';
import { DEFAULT_LOCK_TIMEOUT_MS, type LockWait, withLockWait } from './db-errors';
import { isListAll, MATCH_SQL, matchParameters } from './match';
import { type RawRecordRow, rowToRecord } from './row-mapping';
import { openSqlite } from './sqlite-driver';
import { sweepDue, sweepMarkerFor } from './sweep-marker';

/** What read-only commands need from the catalogue; the full Catalog and the plain reader both provide it. */
export interface CatalogView {
  find(name: ImageName): Promise<ImageRecord | undefined>;
  list(term?: string, options?: ListOptions): Promise<Iterable<ImageRecord>>;
}

export interface ListOptions {
  /** false leaves `metrics` empty: a listing that prints no metrics skips parsing 10,000 JSON texts */
  metrics?: boolean;
}

export interface CatalogReader extends CatalogView {
  close(): void | Promise<void>;
}

/** The record's columns, for the container table aliased `c` and its collection `col`; SQLite and PostgreSQL alike. */
export const SELECT = `SELECT c.id AS id, c.collection_id AS collection_id, col.name AS collection, c.name AS name, c.tag AS tag,
  c.version AS version, c.image AS image, c.url AS url, c.uri AS uri, c.client AS client, %METRICS% AS metrics,
  c.created_at AS created_at
  FROM container c INNER JOIN collection col ON col.id = c.collection_id`;

/**
 * A read-only view of the catalogue in plain SQL on better-sqlite3, for `images`, `get` and `inspect`. Loading
 * TypeORM costs more than the whole of such a command, and a reader needs none of what it brings (schema
 * creation, recovery, transactions). So this opens only a catalogue that needs no upkeep; it returns undefined,
 * and the caller opens the full catalogue, when the file or its tables are missing (they get created), when the
 * tables are not the catalogue's (the full catalogue refuses them in one line), when an intent is waiting in the
 * journal (recovery must finish it before anything is read), when the daily temp-file sweep is due, when the file
 * is locked right now (the full catalogue waits for it, and says so), or when the file cannot be opened read-only.
 * The queries are the ones the full catalogue runs, and wait for a lock as long as `lockWait` says, as its do.
 */
export function openCatalogReader(options: { databaseFile: string; storageDir: string; lockWait?: LockWait }): CatalogReader | undefined {
  const databaseFile = path.resolve(options.databaseFile);
  if (!existsSync(databaseFile)) return undefined;
  if (storageNeedsUpkeep(options.storageDir)) return undefined;
  let db: BetterSqlite3.Database | undefined;
  try {
    // no wait here: a locked file is left to the full catalogue, whose wait is the one the user is told about
    db = openSqlite(databaseFile, { readonly: true, fileMustExist: true, timeout: 0 });
    const tables = db
      .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('collection', 'container')")
      .get() as { n: number };
    // preparing checks the columns: another program's tables of these names are the full catalogue's to refuse
    if (tables.n !== 2 || !hasCatalogueColumns(db)) {
      db.close();
      return undefined;
    }
    db.pragma(`busy_timeout = ${SQLITE_BUSY_MS}`);
    return new PlainReader(db, databaseFile, options.lockWait ?? { timeoutMs: DEFAULT_LOCK_TIMEOUT_MS });
  } catch {
    db?.close();
    return undefined;
  }
}

/** SQLite's own wait for a lock: short, since it blocks the event loop; longer waits are withRetry's. */
const SQLITE_BUSY_MS = 500;

function hasCatalogueColumns(db: BetterSqlite3.Database): boolean {
  try {
    db.prepare(`${SELECT.replace('%METRICS%', 'c.metrics')} LIMIT 0`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the storage folder has work for the full catalogue before anything is read: an intent in the journal
 * (recovery finishes it), temps a killed pull/add/mv of this node left (a `.part` of hundreds of MB: the sweep
 * removes them), or the daily sweep is due.
 */
export function storageNeedsUpkeep(storageDir: string): boolean {
  const tempDir = path.join(path.resolve(storageDir), TEMP_DIR_NAME);
  return journalHasEntries(path.join(tempDir, JOURNAL_DIR_NAME)) || tempFolderNeedsSweep(tempDir) || sweepDue(sweepMarkerFor(storageDir));
}

function journalHasEntries(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

class PlainReader implements CatalogReader {
  /** listings not read to the end: they hold the connection until returned */
  private readonly open = new Set<IterableIterator<RawRecordRow>>();

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly file: string,
    private readonly lockWait: LockWait,
  ) {}

  async find(name: ImageName): Promise<ImageRecord | undefined> {
    const version = name.version !== undefined;
    const sql = `${SELECT.replace('%METRICS%', 'c.metrics')} WHERE col.name = :collection AND c.name = :name AND c.tag = :tag${
      version ? ' AND c.version = :version' : ''
    } ORDER BY c.id DESC LIMIT 1`;
    const params: Record<string, string> = { collection: name.collection, name: name.image, tag: name.tag };
    if (name.version !== undefined) params.version = name.version;
    const row = await this.retrying(() => this.db.prepare(sql).get(params) as RawRecordRow | undefined);
    return row ? rowToRecord(row) : undefined;
  }

  async list(term?: string, options: ListOptions = {}): Promise<Iterable<ImageRecord>> {
    const metrics = options.metrics === false ? 'NULL' : 'c.metrics';
    const where = isListAll(term) ? '' : ` WHERE ${MATCH_SQL}`;
    // ids grow with insertion, so id order is oldest first and needs no sort
    const statement = this.db.prepare(`${SELECT.replace('%METRICS%', metrics)}${where} ORDER BY c.id ASC`);
    // the first row takes the read lock: that is where another process's lock is waited for
    const [rows, first] = await this.retrying(() => {
      const iterator = (isListAll(term) ? statement.iterate() : statement.iterate(matchParameters(term))) as IterableIterator<RawRecordRow>;
      return [iterator, iterator.next()] as const;
    });
    this.open.add(rows);
    return this.records(rows, first);
  }

  close(): void {
    for (const rows of this.open) rows.return?.();
    this.open.clear();
    if (this.db.open) this.db.close();
  }

  /** The lock wait of the full catalogue (db-errors.ts withLockWait), and its one-line failures. */
  private retrying<T>(work: () => T): Promise<T> {
    return withLockWait(this.file, this.lockWait, async () => work());
  }

  private *records(rows: IterableIterator<RawRecordRow>, first: IteratorResult<RawRecordRow>): Generator<ImageRecord> {
    try {
      if (first.done) return;
      yield rowToRecord(first.value);
      for (const row of rows) yield rowToRecord(row);
    } finally {
      // stopped early (at the first row too): the statement lets the connection go
      rows.return?.();
      this.open.delete(rows);
    }
  }
}
