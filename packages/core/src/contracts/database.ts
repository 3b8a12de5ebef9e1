import type { ImageRecord } from './records';

export interface NewImageRow {
  collection: string;
  name: string;
  tag: string;
  version: string;
  image: string | null;
  url: string | null;
  client: string;
  metrics: Record<string, unknown>;
  /**
   * `created_at` of a new row, as stored (`YYYY-MM-DD HH:MM:SS`, UTC; null for none): a copy (catalog migrate)
   * keeps its original's. Undefined: now. An existing row keeps its own.
   */
  createdAt?: string | null;
}

/** What a conditional change expects the row to still be: the image path the caller read (null: none). */
export interface RowExpectation {
  image: string | null;
}

/** The row is no longer what the caller read (removed, or its file moved, by another command). */
export class RowChanged extends Error {
  constructor(readonly id: number) {
    super(`image record ${id} was changed or removed by another command`);
    this.name = 'RowChanged';
  }
}

/**
 * Whether the writer of an intent is alive, known by a lock the database holds for it (PostgreSQL's advisory
 * locks): held from before the intent is written until after it is removed, dropped by the server when the
 * writer's process dies.
 */
export interface IntentLiveness {
  hold(file: string): Promise<void>;
  /** takes the lock of an intent if no one holds it (its writer is gone); true when taken */
  claim(file: string): Promise<boolean>;
  release(file: string): Promise<void>;
}

/**
 * The catalogue's rows. Implementations must keep the original's schema (client-spec §5.1) and run on SQLite
 * (the original's file) and PostgreSQL (a team catalogue) alike.
 */
export interface Database {
  /** printable location, e.g. `sqlite:////home/u/.singularity/sregistry.db` */
  readonly url: string;
  /** Insert, or update the row with the same collection/name/tag/version (client not compared). */
  upsert(row: NewImageRow): Promise<{ record: ImageRecord; created: boolean }>;
  /** The newest row for collection/name/tag (and version when given): the last catalogued of several versions. */
  find(query: { collection: string; name: string; tag: string; version?: string }): Promise<ImageRecord | undefined>;
  /** All rows, oldest first; with a term, rows whose name equals it or whose name/tag/uri contain it. */
  list(term?: string): Promise<ImageRecord[]>;
  /** Rows whose image path is the given file. */
  findByImagePath(path: string): Promise<ImageRecord[]>;
  /** Rows whose image path ends in `/<fileName>` (candidates for "is this file another spelling of a row's"). */
  findByFileName(fileName: string): Promise<ImageRecord[]>;
  /**
   * With `expect`, the row is changed only while its image path is still `expect.image` (what the caller read), in
   * the same statement: another command that moved or removed it meanwhile makes this throw RowChanged.
   */
  update(
    id: number,
    changes: Partial<Pick<ImageRecord, 'collection' | 'name' | 'tag' | 'version' | 'image' | 'url' | 'uri' | 'client' | 'metrics'>>,
    expect?: RowExpectation,
  ): Promise<ImageRecord>;
  /** Deletes the row (with `expect`, only while its image path is still `expect.image`); false when none was deleted. */
  remove(id: number, expect?: RowExpectation): Promise<boolean>;
  /** Fails (one-line UserError) when the database cannot be written now: locked past the wait, read-only, full. */
  ensureWritable(): Promise<void>;
  count(): Promise<number>;
  /** a database shared by several nodes tells the journal whether an intent's writer still runs */
  readonly intentLiveness?: IntentLiveness;
  close(): Promise<void>;
}
