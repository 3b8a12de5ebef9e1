import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager, QueryDeepPartialEntity, QueryRunner, SelectQueryBuilder } from 'typeorm';
import { type Database, type IntentLiveness, type NewImageRow, RowChanged, type RowExpectation } from '../contracts/database';
import type { ImageRecord } from '../contracts/records';
import { pausePoint } from '../testing-hooks';
import { LOCK_NOTICE_MS, type LockWait } from './db-errors';
import { CollectionEntity, ContainerEntity } from './entities';
import { isListAll, MATCH_SQL_POSTGRES, matchParameters } from './match';
import { Mutex } from './mutex';
import { errorCode, isBusy, isUniqueViolation, withRetry } from './retry';
import { newRowColumns, type RawRecordRow, rowToRecord, rowToUpdate, upsertChanges } from './row-mapping';
import { formatTimestamp } from './timestamp';

type Changes = Parameters<Database['update']>[1];

/** What the engine adds beyond the SQL TypeORM generates for it. */
export interface Engine {
  /** printable location: `sqlite:///<file>`, `postgresql://user@host:port/db` (never a password) */
  url: string;
  /** a failure as one line the user can act on (see db-errors.ts, postgres/errors.ts) */
  problem(error: unknown, lock?: { waitedMs: number }): unknown;
  /** the line shown once lock waits passed LOCK_NOTICE_MS */
  lockNotice(timeoutMs: number): string;
  /**
   * PostgreSQL, whose lock waits happen in the server (the statement blocks until lock_timeout, so the retry loop
   * never sees them): asked once a statement has run LOCK_NOTICE_MS, the line to show if a session of this
   * connection is waiting for another's lock; undefined when none is (a slow statement is not a lock wait).
   */
  serverLockNotice?(timeoutMs: number): Promise<string | undefined>;
  /** PostgreSQL: fails in one line unless this role may change the catalogue's rows */
  checkWritable?(manager: EntityManager): Promise<void>;
  liveness?: IntentLiveness & { close(): Promise<void> };
}

/**
 * The catalogue's rows in PostgreSQL, through TypeORM (a SQLite catalogue runs the same operations in plain SQL,
 * sqlite-database.ts, without loading TypeORM; the catalogue suites run both against the same tests). A write is
 * one transaction, replayed on serialisation failures and deadlocks (retry.ts). In read committed a write takes a
 * row lock on its collection first, so writers of one collection from every node queue there and each sees the
 * rows the previous one committed.
 */
export class SqlDatabase implements Database {
  readonly url: string;
  readonly intentLiveness?: IntentLiveness;
  private readonly lock = new Mutex();

  constructor(
    private readonly dataSource: DataSource,
    private readonly engine: Engine,
    private readonly lockWait: LockWait,
  ) {
    this.url = engine.url;
    this.intentLiveness = engine.liveness;
  }

  /**
   * Takes the write lock and lets it go (a write statement that matches no row), so a command that is about to
   * place a file learns first that the database is locked, read-only or full, while nothing has changed.
   */
  ensureWritable(): Promise<void> {
    return this.write(
      async (manager) => {
        if (this.engine.checkWritable) return this.engine.checkWritable(manager);
        await manager
          .createQueryBuilder()
          .update(CollectionEntity)
          .set({ name: () => 'name' })
          .where('1 = 0')
          .execute();
        // not a commit of a change: the crash suites' db-before-commit point belongs to the real write
      },
      false,
      false,
    );
  }

  upsert(row: NewImageRow): Promise<{ record: ImageRecord; created: boolean }> {
    const columns = newRowColumns(row, 0);
    const values = {
      'collection.name': row.collection,
      'container.name': columns.name,
      'container.tag': columns.tag,
      'container.version': columns.version,
      'container.image': columns.image,
      'container.url': columns.url,
      'container.uri': columns.uri,
      'container.client': columns.client,
    };
    return this.write(async (manager) =>
      this.namingTooLong(values, async () => {
        // The first statement writes, so the transaction takes the write lock before it reads anything and
        // the reads below see the latest rows (no stale snapshot, whatever the journal mode).
        const collectionId = await this.collectionId(manager, row.collection);
        const candidates = await this.select(manager)
          .where('c.collection_id = :collectionId', { collectionId })
          .andWhere('c.name = :name AND c.tag = :tag AND c.version = :version', { name: row.name, tag: row.tag, version: row.version })
          .getRawMany<RawRecordRow>();
        const existing = rowToUpdate(candidates, row);
        if (existing) {
          const set: QueryDeepPartialEntity<ContainerEntity> = upsertChanges(existing, row);
          await manager.createQueryBuilder().update(ContainerEntity).set(set).where('id = :id', { id: existing.id }).execute();
          return { id: Number(existing.id), created: false };
        }
        const insert = manager
          .createQueryBuilder()
          .insert()
          .into(ContainerEntity)
          .values({ createdAt: () => ':createdAt', ...newRowColumns(row, collectionId) })
          .setParameter('createdAt', row.createdAt === undefined ? formatTimestamp() : row.createdAt)
          .updateEntity(false);
        // PostgreSQL reports only what RETURNING asks for
        insert.returning('id');
        const result = await insert.execute();
        return { id: Number((result.raw as { id: number }[])[0]?.id), created: true };
      }),
    ).then(async ({ id, created }) => ({ record: await this.byId(id), created }));
  }

  find(query: { collection: string; name: string; tag: string; version?: string }): Promise<ImageRecord | undefined> {
    return this.read(async (manager) => {
      // collection.name (unique) and the leading columns of _container_uc are indexed
      const qb = this.select(manager)
        .where('col.name = :collection', { collection: query.collection })
        .andWhere('c.name = :name AND c.tag = :tag', { name: query.name, tag: query.tag });
      if (query.version !== undefined) qb.andWhere('c.version = :version', { version: query.version });
      // the newest of several versions (ops/find-record.ts)
      const row = await qb.orderBy('c.id', 'DESC').limit(1).getRawOne<RawRecordRow>();
      return row ? rowToRecord(row) : undefined;
    });
  }

  list(term?: string): Promise<ImageRecord[]> {
    return this.read(async (manager) => {
      const qb = this.select(manager);
      if (!isListAll(term)) qb.where(MATCH_SQL_POSTGRES, matchParameters(term));
      // ids grow with insertion, so id order is oldest first and needs no sort
      const rows = await qb.orderBy('c.id', 'ASC').getRawMany<RawRecordRow>();
      return rows.map(rowToRecord);
    });
  }

  findByImagePath(file: string): Promise<ImageRecord[]> {
    return this.read(async (manager) => {
      const rows = await this.select(manager).where('c.image = :file', { file }).orderBy('c.id', 'ASC').getRawMany<RawRecordRow>();
      return rows.map(rowToRecord);
    });
  }

  findByFileName(fileName: string): Promise<ImageRecord[]> {
    return this.read(async (manager) => {
      const pattern = `%/${fileName.replace(/[\\%_]/g, (c) => `\\${c}`)}`;
      const rows = await this.select(manager)
        .where("c.image LIKE :pattern ESCAPE '\\'", { pattern })
        .orderBy('c.id', 'ASC')
        .getRawMany<RawRecordRow>();
      return rows.map(rowToRecord);
    });
  }

  async update(id: number, changes: Changes, expect?: RowExpectation): Promise<ImageRecord> {
    const values = Object.fromEntries(
      (['name', 'tag', 'version', 'image', 'url', 'uri', 'client'] as const).map((key) => [`container.${key}`, changes[key]]),
    );
    await this.write(
      async (manager) =>
        this.namingTooLong({ ...values, 'collection.name': changes.collection }, async () => {
          const set: Record<string, unknown> = {};
          if (changes.collection !== undefined) set.collectionId = await this.collectionId(manager, changes.collection);
          for (const key of ['name', 'tag', 'version', 'image', 'url', 'uri', 'client'] as const) {
            if (changes[key] !== undefined) set[key] = changes[key];
          }
          if (changes.metrics !== undefined) set.metrics = JSON.stringify(changes.metrics);
          if (Object.keys(set).length > 0) {
            const query = manager
              .createQueryBuilder()
              .update(ContainerEntity)
              .set(set as QueryDeepPartialEntity<ContainerEntity>)
              .where('id = :id', { id });
            // one statement: in read committed it waits for a concurrent writer of the row and re-checks the condition
            if (expect) query.andWhere(...imageIs(expect));
            const result = await query.execute();
            if (!result.affected) {
              if (expect) throw new RowChanged(id);
              throw new Error(`image record ${id} does not exist`);
            }
          }
        }),
      false,
    );
    return this.byId(id);
  }

  remove(id: number, expect?: RowExpectation): Promise<boolean> {
    return this.write(async (manager) => {
      const query = manager.createQueryBuilder().delete().from(ContainerEntity).where('id = :id', { id });
      if (expect) query.andWhere(...imageIs(expect));
      return Boolean((await query.execute()).affected);
    }, false);
  }

  count(): Promise<number> {
    return this.read((manager) => manager.getRepository(ContainerEntity).count());
  }

  close(): Promise<void> {
    return this.lock.run(async () => {
      await this.engine.liveness?.close().catch(() => {});
      if (this.dataSource.isInitialized) await this.dataSource.destroy();
    });
  }

  /**
   * PostgreSQL's "value too long for type character varying(N)" (22001) names no column: the columns of `values`
   * longer than N that are varchar(N) in this database are put on the error (`tooLongColumns`), so the message
   * names the one at fault (a table changed by hand may have narrowed any of them), not a guess.
   */
  private async namingTooLong<T>(values: Record<string, string | null | undefined>, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const limit = /character varying\((\d+)\)/.exec(String((error as Error)?.message ?? ''))?.[1];
      if (errorCode(error) !== '22001' || limit === undefined) throw error;
      const longer = Object.keys(values).filter((column) => (values[column]?.length ?? 0) > Number(limit));
      // asked on another connection of the pool: this transaction is aborted
      const narrow = (await this.dataSource
        .query(
          `SELECT table_name || '.' || column_name AS column FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name IN ('collection', 'container') AND character_maximum_length = $1`,
          [Number(limit)],
        )
        .catch(() => [])) as { column: string }[];
      const columns = longer.filter((column) => narrow.some((row) => row.column === column));
      if (columns.length > 0) Object.assign(error as object, { tooLongColumns: columns, tooLongLimit: Number(limit) });
      throw error;
    }
  }

  private async byId(id: number): Promise<ImageRecord> {
    const row = await this.read((manager) => this.select(manager).where('c.id = :id', { id }).getRawOne<RawRecordRow>());
    if (!row) throw new Error(`image record ${id} does not exist`);
    return rowToRecord(row);
  }

  private select(manager: EntityManager): SelectQueryBuilder<ContainerEntity> {
    return manager
      .createQueryBuilder(ContainerEntity, 'c')
      .innerJoin(CollectionEntity, 'col', 'col.id = c.collection_id')
      .select([
        'c.id AS id',
        'c.collection_id AS collection_id',
        'col.name AS collection',
        'c.name AS name',
        'c.tag AS tag',
        'c.version AS version',
        'c.image AS image',
        'c.url AS url',
        'c.uri AS uri',
        'c.client AS client',
        'c.metrics AS metrics',
        'c.created_at AS created_at',
      ]);
  }

  /** Id of the named collection, created (with a fresh UUID4 token) when missing; safe against races. */
  private async collectionId(manager: EntityManager, name: string): Promise<number> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(CollectionEntity)
      .values({ name, token: randomUUID(), createdAt: () => ':createdAt' })
      .setParameter('createdAt', formatTimestamp())
      .orIgnore()
      .updateEntity(false)
      .execute();
    const query = manager.createQueryBuilder(CollectionEntity, 'col').select('col.id', 'id').where('col.name = :name', { name });
    // the row lock that queues this node's write behind other nodes' writes to the collection (see the class)
    query.setLock('pessimistic_write');
    const found = await query.getRawOne<{ id: number }>();
    if (!found) throw new Error(`collection ${name} could not be created`);
    return Number(found.id);
  }

  private read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.lock.run(() => this.retrying(() => work(this.dataSource.manager), isBusy));
  }

  /** withRetry with the lock wait of this connection; a failure that is the user's to fix becomes one line. */
  private async retrying<T>(work: () => Promise<T>, retryable: (e: unknown) => boolean): Promise<T> {
    let waited: { waitedMs: number } | undefined;
    // one notice per operation, from whichever sees the wait first: the retry loop or the server's lock table
    let noticed = false;
    let done = false;
    const started = Date.now();
    const notice = (line: string | undefined) => {
      if (noticed || line === undefined) return;
      noticed = true;
      this.lockWait.onWait?.(line);
    };
    const { onWait } = this.lockWait;
    const serverLockNotice = this.engine.serverLockNotice?.bind(this.engine);
    const timer =
      onWait && serverLockNotice
        ? setTimeout(() => {
            serverLockNotice(this.lockWait.timeoutMs).then(
              (line) => {
                if (!done) notice(line);
              },
              () => {}, // no notice is all a failed look is worth: the statement itself still fails or succeeds
            );
          }, LOCK_NOTICE_MS)
        : undefined;
    timer?.unref();
    try {
      return await withRetry(work, retryable, {
        busyTimeoutMs: this.lockWait.timeoutMs,
        noticeAfterMs: LOCK_NOTICE_MS,
        onBusyWait: () => notice(this.engine.lockNotice(this.lockWait.timeoutMs)),
        onGiveUp: (ms) => {
          waited = { waitedMs: ms };
        },
      });
    } catch (error) {
      // a lock wait that ended in the server (PostgreSQL's lock_timeout) was not timed by the retry loop
      throw this.engine.problem(error, waited ?? { waitedMs: Date.now() - started });
    } finally {
      done = true;
      if (timer) clearTimeout(timer);
    }
  }

  /** One transaction, replayed on lock contention and (for upserts) on a unique-constraint race. */
  private write<T>(work: (manager: EntityManager) => Promise<T>, replayOnUnique = true, pauseBeforeCommit = true): Promise<T> {
    const retryable = (e: unknown) => isBusy(e) || (replayOnUnique && isUniqueViolation(e));
    return this.lock.run(() =>
      this.retrying(async () => {
        const runner: QueryRunner = this.dataSource.createQueryRunner();
        await runner.startTransaction();
        try {
          const result = await work(runner.manager);
          if (pauseBeforeCommit) pausePoint('db-before-commit');
          await runner.commitTransaction();
          return result;
        } catch (error) {
          if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => {});
          throw error;
        } finally {
          // back to PostgreSQL's pool (SQLite's one connection is shared, releasing it changes nothing)
          await runner.release();
        }
      }, retryable),
    );
  }
}

/** The condition of a change that expects the row's image path to be what the caller read. */
function imageIs(expect: RowExpectation): [string, Record<string, unknown>?] {
  return expect.image === null ? ['image IS NULL'] : ['image = :expectImage', { expectImage: expect.image }];
}
