// The server's RQ worker job after a native push (registry-api.md §3): the container's version starts as the md5
// nginx computed and is replaced by `sha256.<hex of the file>` once the job has run. A client that reads the
// manifest right after a push sees the md5; a little later it sees the sha256 form.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { ContainerRow, RegistryState } from './state';

export class RehashWorker {
  private readonly timers = new Set<NodeJS.Timeout>();

  /** `afterMs` undefined: no worker is running, versions stay md5 until `runAll()` is called. */
  constructor(
    private readonly state: RegistryState,
    private readonly afterMs: number | undefined,
  ) {}

  /** Queues the job for a freshly stored container. */
  schedule(row: ContainerRow): void {
    if (this.afterMs === undefined) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.rehash(row).catch(() => undefined);
    }, this.afterMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** Runs the job now for every container whose version is still an md5 (what a caught-up worker leaves). */
  async runAll(): Promise<void> {
    for (const row of [...this.state.containers.values()]) await this.rehash(row);
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async rehash(row: ContainerRow): Promise<void> {
    // a replaced or deleted container, or one already done, is left alone
    if (this.state.containers.get(row.id) !== row || !row.path || !/^[0-9a-f]{32}$/.test(row.version ?? '')) return;
    const hash = createHash('sha256');
    await pipeline(createReadStream(row.path), hash);
    if (this.state.containers.get(row.id) === row) row.version = `sha256.${hash.digest('hex')}`;
  }
}
