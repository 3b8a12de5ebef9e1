import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DataSource, type EntityManager, type QueryDeepPartialEntity, type QueryRunner, type SelectQueryBuilder } from 'typeorm';
import type { Database, NewImageRow } from '../contracts/database';
import type { ImageRecord } from '../contracts/records';
import { UserError } from '../errors';
import { pausePoint } from '../testing-hooks';
import { DEFAULT_LOCK_TIMEOUT_MS, databaseProblem, LOCK_NOTICE_MS, type LockWait, lockNotice } from './db-errors';
import { CollectionEntity, ContainerEntity } from './entities';
import { isListAll, MATCH_SQL, matchParameters } from './match';
import { Mutex } from './mutex';
import { errorCode, isAlreadyExists, isBusy, isUniqueViolation, type RetryOptions, withRetry } from './retry';
import { type RawRecordRow, rowToRecord } from './row-mapping';
import { ensureSchema } from './schema';
import { sqliteDriver } from './sqlite-driver';
import { formatTimestamp } from './timestamp';

type Changes = Parameters<Database['update']>[1];

export interface OpenDatabaseOptions {
  /**
   * Create a new database file in WAL mode (SREGISTRY_DATABASE_WAL). An existing file is never switched: the
   * journal mode is a property of the file, and WAL does not work on the network file systems HPC homes live on.
   */
  wal?: boolean;
  /** how long to wait for another process's lock, and whom to tell after 2 s (default 30 s, silent) */
  lockWait?: LockWait;
}

/**
 * Opens (creating when missing) the catalogue database at `file`. An existing file keeps its schema and its
 * journal mode: missing tables are created, nothing else is touched. New files use SQLite's rollback journal
 * (the original's default) unless `wal` asks otherwise. The connection waits up to 5 s for locks (a writer
 * excludes readers in rollback mode) and enforces foreign keys.
 */
export async function openDatabase(file: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  const absolute = path.resolve(file);
  const isNew = !existsSync(absolute);
  const folder = path.dirname(absolute);
  try {
    await fs.mkdir(folder, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // a file where the folder should be made "does not exist" read like a lie
    const isFile = code === 'EEXIST' || code === 'ENOTDIR';
    throw new UserError(`Database location ${folder} ${isFile ? 'is a file, not a folder' : 'does not exist.'}`, {
      fix: isFile
        ? 'move it away or point SREGISTRY_DATABASE to a folder'
        : `create it or point SREGISTRY_DATABASE to a writable folder (${code ?? 'error'})`,
      code: 'EDBPATH',
      cause: error,
    });
  }
  const dataSource = new DataSource({
    type: 'better-sqlite3',
    driver: sqliteDriver(),
    database: absolute,
    entities: [CollectionEntity, ContainerEntity],
    synchronize: false,
    // a pragma on every open would switch an existing file for good: only a file we create gets WAL, if asked
    enableWAL: Boolean(options.wal) && isNew,
    // SQLite's own wait blocks the event loop; longer waits are retried in JS (withRetry), where they can be told
    timeout: SQLITE_BUSY_MS,
    logging: false,
  });
  const lockWait = options.lockWait ?? { timeoutMs: DEFAULT_LOCK_TIMEOUT_MS };
  let waited: { waitedMs: number } | undefined;
  try {
    await withRetry(
      async () => {
        if (!dataSource.isInitialized) await dataSource.initialize();
        await ensureSchema(dataSource.createQueryRunner());
      },
      (e) => isBusy(e) || isAlreadyExists(e),
      retryOptions(absolute, lockWait, (ms) => {
        waited = { waitedMs: ms };
      }),
    );
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => {});
    throw openFailure(absolute, error, waited);
  }
  return new SqlDatabase(dataSource, absolute, lockWait);
}

const SQLITE_BUSY_MS = 500;

function retryOptions(file: string, lockWait: LockWait, onGiveUp: (waitedMs: number) => void): RetryOptions {
  return {
    busyTimeoutMs: lockWait.timeoutMs,
    noticeAfterMs: LOCK_NOTICE_MS,
    onBusyWait: () => lockWait.onWait?.(lockNotice(file, lockWait.timeoutMs)),
    onGiveUp,
  };
}

function openFailure(file: string, error: unknown, waited?: { waitedMs: number }): unknown {
  const code = errorCode(error) ?? '';
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'EACCES') {
    return new UserError(`Insufficient permission to write to ${path.dirname(file)}`, {
      fix: 'fix the folder permissions or set SREGISTRY_DATABASE',
      code: 'EDBPERM',
      cause: error,
    });
  }
  return databaseProblem(file, error, waited);
}

class SqlDatabase implements Database {
  readonly url: string;
  private readonly lock = new Mutex();

  constructor(
    private readonly dataSource: DataSource,
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
    return this.write(
      async (manager) => {
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
    return this.write(async (manager) => {
      // The first statement writes, so the transaction takes the write lock before it reads anything and
      // the reads below see the latest rows (no stale snapshot, whatever the journal mode).
      const collectionId = await this.collectionId(manager, row.collection);
      const candidates = await this.select(manager)
        .where('c.collection_id = :collectionId', { collectionId })
        .andWhere('c.name = :name AND c.tag = :tag AND c.version = :version', { name: row.name, tag: row.tag, version: row.version })
        .getRawMany<RawRecordRow>();
      // The original matches without the client; preferring the row of the same client keeps the
      // update from colliding with _container_uc when rows of several clients exist.
      const existing = candidates.find((c) => c.client === row.client) ?? candidates[0];
      const uri = `${row.collection}/${row.name}:${row.tag}${row.version ? `@${row.version}` : ''}`;
      if (existing) {
        const merged = { ...rowToRecord(existing).metrics, ...row.metrics };
        const set: QueryDeepPartialEntity<ContainerEntity> = { metrics: JSON.stringify(merged), url: row.url, client: row.client };
        if (row.image !== null) set.image = row.image;
        await manager.createQueryBuilder().update(ContainerEntity).set(set).where('id = :id', { id: existing.id }).execute();
        return { id: Number(existing.id), created: false };
      }
      const result = await manager
        .createQueryBuilder()
        .insert()
        .into(ContainerEntity)
        .values({
          createdAt: () => ':createdAt',
          metrics: JSON.stringify(row.metrics),
          name: row.name,
          tag: row.tag,
          image: row.image,
          url: row.url,
          uri,
          client: row.client,
          version: row.version,
          collectionId,
        })
        .setParameter('createdAt', formatTimestamp())
        .updateEntity(false)
        .execute();
      return { id: Number(result.identifiers[0]?.id ?? result.raw), created: true };
    }).then(async ({ id, created }) => ({ record: await this.byId(id), created }));
  }

  find(query: { collection: string; name: string; tag: string; version?: string }): Promise<ImageRecord | undefined> {
    return this.read(async (manager) => {
      // collection.name (unique) and the leading columns of _container_uc are indexed
      const qb = this.select(manager)
        .where('col.name = :collection', { collection: query.collection })
        .andWhere('c.name = :name AND c.tag = :tag', { name: query.name, tag: query.tag });
      if (query.version !== undefined) qb.andWhere('c.version = :version', { version: query.version });
      const row = await qb.orderBy('c.id', 'ASC').limit(1).getRawOne<RawRecordRow>();
      return row ? rowToRecord(row) : undefined;
    });
  }

  list(term?: string): Promise<ImageRecord[]> {
    return this.read(async (manager) => {
      const qb = this.select(manager);
      if (!isListAll(term)) qb.where(MATCH_SQL, matchParameters(term));
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

  async update(id: number, changes: Changes): Promise<ImageRecord> {
    await this.write(async (manager) => {
      const set: Record<string, unknown> = {};
      if (changes.collection !== undefined) set.collectionId = await this.collectionId(manager, changes.collection);
      for (const key of ['name', 'tag', 'version', 'image', 'url', 'uri', 'client'] as const) {
        if (changes[key] !== undefined) set[key] = changes[key];
      }
      if (changes.metrics !== undefined) set.metrics = JSON.stringify(changes.metrics);
      if (Object.keys(set).length > 0) {
        const result = await manager
          .createQueryBuilder()
          .update(ContainerEntity)
          .set(set as QueryDeepPartialEntity<ContainerEntity>)
          .where('id = :id', { id })
          .execute();
        if (!result.affected) throw new Error(`image record ${id} does not exist`);
      }
    }, false);
    return this.byId(id);
  }

  remove(id: number): Promise<void> {
    return this.write(async (manager) => {
      await manager.createQueryBuilder().delete().from(ContainerEntity).where('id = :id', { id }).execute();
    }, false);
  }

  count(): Promise<number> {
    return this.read((manager) => manager.getRepository(ContainerEntity).count());
  }

  close(): Promise<void> {
    return this.lock.run(async () => {
      if (this.dataSource.isInitialized) await this.dataSource.destroy();
    });
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
    const found = await manager
      .createQueryBuilder(CollectionEntity, 'col')
      .select('col.id', 'id')
      .where('col.name = :name', { name })
      .getRawOne<{ id: number }>();
    if (!found) throw new Error(`collection ${name} could not be created`);
    return Number(found.id);
  }

  private read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.lock.run(() => this.retrying(() => work(this.dataSource.manager), isBusy));
  }

  /** withRetry with the lock wait of this connection; a failure that is the user's to fix becomes one line. */
  private async retrying<T>(work: () => Promise<T>, retryable: (e: unknown) => boolean): Promise<T> {
    let waited: { waitedMs: number } | undefined;
    try {
      return await withRetry(
        work,
        retryable,
        retryOptions(this.file, this.lockWait, (ms) => {
          waited = { waitedMs: ms };
        }),
      );
    } catch (error) {
      throw databaseProblem(this.file, error, waited);
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
        }
      }, retryable),
    );
  }
}
