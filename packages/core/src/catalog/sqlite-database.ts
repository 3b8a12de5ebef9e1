import { randomUUID } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { type Database, type NewImageRow, RowChanged, type RowExpectation } from '../contracts/database';
import type { ImageRecord } from '../contracts/records';
import { pausePoint } from '../testing-hooks';
import { type LockWait, withLockWait } from './db-errors';
import { isListAll, MATCH_SQL, matchParameters } from './match';
import { Mutex } from './mutex';
import { SELECT } from './reader';
import { isBusy, isUniqueViolation } from './retry';
import { newRowColumns, type RawRecordRow, rowToRecord, rowToUpdate, upsertChanges } from './row-mapping';
import { formatTimestamp } from './timestamp';

type Changes = Parameters<Database['update']>[1];
type Params = Record<string, string | number | null>;

const RECORD = SELECT.replace('%METRICS%', 'c.metrics');
/** the columns `update` may change, by the name callers use */
const UPDATABLE = ['name', 'tag', 'version', 'image', 'url', 'uri', 'client'] as const;

/**
 * The catalogue's rows in a SQLite file, in plain SQL on better-sqlite3. TypeORM did this before; loading it cost
 * 30-40 ms of CPU in every command that writes a row (a 4 KiB pull spent more on it than on its download), so
 * SQLite runs the statements TypeORM generated for it directly, and TypeORM stays for PostgreSQL (sql-database.ts).
 * The same behaviour: a write is one transaction (BEGIN, COMMIT as TypeORM issued them), replayed on lock
 * contention and, for upserts, on a unique-constraint race (retry.ts); its first statement writes, so it takes the
 * database's write lock before it reads anything and its reads see the latest rows, whatever the journal mode.
 */
export class SqliteDatabase implements Database {
  readonly url: string;
  /** one connection shared by all callers: two interleaved transactions would otherwise run inside each other */
  private readonly lock = new Mutex();
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly file: string,
    private readonly lockWait: LockWait,
  ) {
    this.url = `sqlite:///${file}`;
  }

  /**
   * Takes the write lock and lets it go (a write statement that matches no row), so a command that is about to
   * place a file learns first that the database is locked, read-only or full, while nothing has changed.
   */
  ensureWritable(): Promise<void> {
    // not a commit of a change: the crash suites' db-before-commit point belongs to the real write
    return this.write(() => void this.run('UPDATE collection SET name = name WHERE 1 = 0'), false, false);
  }

  upsert(row: NewImageRow): Promise<{ record: ImageRecord; created: boolean }> {
    return this.write(() => {
      // the first statement writes (see the class)
      const collectionId = this.collectionId(row.collection);
      const candidates = this.all(
        `${RECORD} WHERE c.collection_id = :collectionId AND c.name = :name AND c.tag = :tag AND c.version = :version`,
        { collectionId, name: row.name, tag: row.tag, version: row.version },
      );
      const existing = rowToUpdate(candidates, row);
      if (existing) {
        this.updateRow(Number(existing.id), upsertChanges(existing, row));
        return { id: Number(existing.id), created: false };
      }
      const inserted = this.run(
        `INSERT INTO container (created_at, metrics, name, tag, image, url, uri, client, version, collection_id)
          VALUES (:createdAt, :metrics, :name, :tag, :image, :url, :uri, :client, :version, :collectionId)`,
        { createdAt: row.createdAt === undefined ? formatTimestamp() : row.createdAt, ...newRowColumns(row, collectionId) },
      );
      return { id: Number(inserted.lastInsertRowid), created: true };
    }).then(async ({ id, created }) => ({ record: await this.byId(id), created }));
  }

  find(query: { collection: string; name: string; tag: string; version?: string }): Promise<ImageRecord | undefined> {
    return this.read(() => {
      // collection.name (unique) and the leading columns of _container_uc are indexed
      const params: Params = { collection: query.collection, name: query.name, tag: query.tag };
      let sql = `${RECORD} WHERE col.name = :collection AND c.name = :name AND c.tag = :tag`;
      if (query.version !== undefined) {
        sql += ' AND c.version = :version';
        params.version = query.version;
      }
      const [row] = this.all(`${sql} ORDER BY c.id DESC LIMIT 1`, params);
      return row ? rowToRecord(row) : undefined;
    });
  }

  list(term?: string): Promise<ImageRecord[]> {
    // ids grow with insertion, so id order is oldest first and needs no sort
    return this.read(() =>
      isListAll(term)
        ? this.all(`${RECORD} ORDER BY c.id ASC`).map(rowToRecord)
        : this.all(`${RECORD} WHERE ${MATCH_SQL} ORDER BY c.id ASC`, matchParameters(term)).map(rowToRecord),
    );
  }

  findByImagePath(file: string): Promise<ImageRecord[]> {
    return this.read(() => this.all(`${RECORD} WHERE c.image = :file ORDER BY c.id ASC`, { file }).map(rowToRecord));
  }

  findByFileName(fileName: string): Promise<ImageRecord[]> {
    const pattern = `%/${fileName.replace(/[\\%_]/g, (c) => `\\${c}`)}`;
    return this.read(() => this.all(`${RECORD} WHERE c.image LIKE :pattern ESCAPE '\\' ORDER BY c.id ASC`, { pattern }).map(rowToRecord));
  }

  async update(id: number, changes: Changes, expect?: RowExpectation): Promise<ImageRecord> {
    await this.write(() => {
      const set: Params = {};
      if (changes.collection !== undefined) set.collection_id = this.collectionId(changes.collection);
      for (const key of UPDATABLE) if (changes[key] !== undefined) set[key] = changes[key] ?? null;
      if (changes.metrics !== undefined) set.metrics = JSON.stringify(changes.metrics);
      if (Object.keys(set).length === 0 || this.updateRow(id, set, expect) > 0) return;
      if (expect) throw new RowChanged(id);
      throw new Error(`image record ${id} does not exist`);
    }, false);
    return this.byId(id);
  }

  remove(id: number, expect?: RowExpectation): Promise<boolean> {
    return this.write(() => {
      const sql = `DELETE FROM container WHERE id = :id${expect ? imageIs(expect) : ''}`;
      return this.run(sql, { id, ...(expect?.image ? { expectImage: expect.image } : {}) }).changes > 0;
    }, false);
  }

  count(): Promise<number> {
    return this.read(() => Number(this.statement('SELECT COUNT(*) FROM container').pluck().get()));
  }

  close(): Promise<void> {
    return this.lock.run(async () => {
      if (this.db.open) this.db.close();
    });
  }

  private async byId(id: number): Promise<ImageRecord> {
    const [row] = await this.read(() => this.all(`${RECORD} WHERE c.id = :id`, { id }));
    if (!row) throw new Error(`image record ${id} does not exist`);
    return rowToRecord(row);
  }

  /** Id of the named collection, created (with a fresh UUID4 token) when missing; safe against races. */
  private collectionId(name: string): number {
    this.run('INSERT OR IGNORE INTO collection (name, token, created_at) VALUES (:name, :token, :createdAt)', {
      name,
      token: randomUUID(),
      createdAt: formatTimestamp(),
    });
    const id = this.statement('SELECT id FROM collection WHERE name = :name').pluck().get({ name });
    if (id === undefined) throw new Error(`collection ${name} could not be created`);
    return Number(id);
  }

  /** Sets columns of one container row; the number of rows changed. */
  private updateRow(id: number, set: Params, expect?: RowExpectation): number {
    const columns = Object.keys(set);
    const sql = `UPDATE container SET ${columns.map((c) => `${c} = :${c}`).join(', ')} WHERE id = :id${expect ? imageIs(expect) : ''}`;
    return this.run(sql, { ...set, id, ...(expect?.image ? { expectImage: expect.image } : {}) }).changes;
  }

  private statement(sql: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private run(sql: string, params: Params = {}): BetterSqlite3.RunResult {
    return this.statement(sql).run(params);
  }

  private all(sql: string, params: Params = {}): RawRecordRow[] {
    return this.statement(sql).all(params) as RawRecordRow[];
  }

  private read<T>(work: () => T): Promise<T> {
    return this.lock.run(() => this.retrying(async () => work(), isBusy));
  }

  /** The lock wait of this connection (db-errors.ts withLockWait); a failure that is the user's to fix becomes one line. */
  private retrying<T>(work: () => Promise<T>, retryable: (e: unknown) => boolean): Promise<T> {
    return withLockWait(this.file, this.lockWait, work, retryable);
  }

  /** One transaction, replayed on lock contention and (for upserts) on a unique-constraint race. */
  private write<T>(work: () => T, replayOnUnique = true, pauseBeforeCommit = true): Promise<T> {
    const retryable = (e: unknown) => isBusy(e) || (replayOnUnique && isUniqueViolation(e));
    return this.lock.run(() =>
      this.retrying(async () => {
        this.db.exec('BEGIN TRANSACTION');
        try {
          const result = work();
          if (pauseBeforeCommit) pausePoint('db-before-commit');
          this.db.exec('COMMIT');
          return result;
        } catch (error) {
          // a COMMIT that found the database busy leaves the transaction open: it is rolled back and replayed
          if (this.db.inTransaction) {
            try {
              this.db.exec('ROLLBACK');
            } catch {
              // the original error is the one to report
            }
          }
          throw error;
        }
      }, retryable),
    );
  }
}

/** The condition of a change that expects the row's image path to be what the caller read (`:expectImage`). */
function imageIs(expect: RowExpectation): string {
  return expect.image ? ' AND image = :expectImage' : ' AND image IS NULL';
}
