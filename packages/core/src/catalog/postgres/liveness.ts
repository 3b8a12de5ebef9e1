import { createHash } from 'node:crypto';
import path from 'node:path';
import type { DataSource, QueryRunner } from 'typeorm';
import type { IntentLiveness } from '../../contracts/database';
import { Mutex } from '../mutex';
import { discardConnection } from './session';

/** First key of the intents' advisory locks ("SRG1"), so `pg_locks` tells them from other programs' locks. */
const INTENT_NAMESPACE = 0x53524731;

function intentKey(file: string): [number, number] {
  return [INTENT_NAMESPACE, createHash('sha256').update(path.basename(file)).digest().readInt32BE(0)];
}

/**
 * Tells across nodes whether the process that wrote an intent still runs. The writer holds a session-level
 * advisory lock named after the intent file for as long as the change is in progress, on a connection of its
 * own; PostgreSQL drops the lock when that session ends, so when its process is killed (or its node crashes
 * and the server notices the dead connection). A node that finds an intent in the shared journal and gets the
 * lock knows the writer is gone, and holds the lock while it finishes the change, so two nodes never recover
 * the same intent at once. A hash collision between two intents in flight only delays a recovery.
 */
export class AdvisoryLiveness implements IntentLiveness {
  private runner?: QueryRunner;
  // one session serves every intent of this process; its queries must not interleave with its connect/close
  private readonly lock = new Mutex();

  constructor(private readonly dataSource: DataSource) {}

  hold(file: string): Promise<void> {
    return this.query('SELECT pg_advisory_lock($1, $2)', intentKey(file)).then(() => {});
  }

  async claim(file: string): Promise<boolean> {
    const [row] = (await this.query('SELECT pg_try_advisory_lock($1, $2) AS got', intentKey(file))) as { got: boolean }[];
    return row?.got === true;
  }

  release(file: string): Promise<void> {
    return this.query('SELECT pg_advisory_unlock($1, $2)', intentKey(file)).then(() => {});
  }

  close(): Promise<void> {
    return this.lock.run(async () => {
      const runner = this.runner;
      this.runner = undefined;
      if (runner) await discardConnection(runner);
    });
  }

  private query(sql: string, params: unknown[]): Promise<unknown[]> {
    return this.lock.run(async () => {
      if (!this.runner) {
        const runner = this.dataSource.createQueryRunner();
        await runner.connect();
        this.runner = runner;
      }
      return (await this.runner.query(sql, params)) as unknown[];
    });
  }
}
