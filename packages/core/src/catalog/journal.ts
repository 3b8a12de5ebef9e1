import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { IntentLiveness, NewImageRow } from '../contracts/database';
import type { ImageRecord } from '../contracts/records';
import { syncDir, writeFileAtomic } from '../settings/atomic-write';
import { DEFAULT_TEMP_MAX_AGE_MS } from '../storage/names';
import { HOST_TAG } from '../storage/temp-files';

/** What a multi-step change is about to do; enough for recovery to finish or undo it (see catalog.ts). */
export type IntentBody =
  | { op: 'add'; source: string; dest: string; copy: boolean; row: NewImageRow; replaces?: string }
  | {
      op: 'move';
      id: number;
      from: string;
      to: string;
      changes: Partial<Pick<ImageRecord, 'collection' | 'name' | 'tag' | 'uri' | 'image'>>;
    }
  | { op: 'remove'; id: number; file: string }
  /**
   * sign's turn on a record (from before its signed copy is made until its row and file are replaced): it changes
   * nothing itself (its add and remove write their own intents), it only makes mv, rename, rm and rmi give way
   */
  | { op: 'sign'; id: number; file: string };

/**
 * `hostTag`: where the writer's pid means the writer (temp-files.ts's HOST_TAG: host name, boot, pid namespace), so
 * two containers of one host name on a shared storage folder do not judge each other's intents by pid. `host` (the
 * bare host name) stays for people reading the file; intents of earlier versions have only it.
 * `held`: the writer holds the intent's lock in a database shared by several nodes (see IntentLiveness), so
 * any node can tell whether the writer still runs; without it only the writer's own host can.
 */
export type Intent = IntentBody & { pid: number; host: string; hostTag?: string; startedAt: string; held?: true };

export interface PendingIntent {
  file: string;
  intent: Intent;
}

/**
 * A folder of small JSON files, one per change in flight. Each is written whole (temp file, fsync, rename)
 * before the change starts and removed after it committed.
 */
export class Journal {
  /** intents of this process that are still in progress (several catalogues may be open in one process) */
  private static readonly inFlight = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly liveness?: IntentLiveness,
  ) {}

  async begin(body: IntentBody): Promise<string> {
    const intent: Intent = {
      ...body,
      pid: process.pid,
      host: os.hostname(),
      hostTag: HOST_TAG,
      startedAt: new Date().toISOString(),
    };
    if (this.liveness) intent.held = true;
    const file = path.join(this.dir, `${Date.now()}-${process.pid}-${randomBytes(4).toString('hex')}.json`);
    Journal.inFlight.add(file);
    try {
      // the lock first: an intent on disk whose lock is free is one whose writer is gone
      await this.liveness?.hold(file);
      await writeFileAtomic(file, `${JSON.stringify(intent)}\n`);
    } catch (error) {
      Journal.inFlight.delete(file);
      await this.liveness?.release(file).catch(() => {});
      throw error;
    }
    return file;
  }

  /** Removes a finished intent (this process's, or one that recovery finished), then lets its lock go. */
  async end(file: string): Promise<void> {
    await fs.rm(file, { force: true });
    await syncDir(this.dir);
    Journal.inFlight.delete(file);
    await this.liveness?.release(file).catch(() => {});
  }

  /**
   * Leaves the intent for recovery: the change failed half-way in this process (or recovery could not finish
   * it now). Its lock goes, so that any node may finish it.
   */
  async release(file: string): Promise<void> {
    Journal.inFlight.delete(file);
    await this.liveness?.release(file).catch(() => {});
  }

  /**
   * Intents left by processes that are no longer running (those of live processes are still in progress). With
   * a liveness lock, each intent returned is held by this process until `end` or `release`.
   */
  async abandoned(): Promise<PendingIntent[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return [];
    }
    const found: PendingIntent[] = [];
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
      const file = path.join(this.dir, name);
      let intent: Intent;
      try {
        intent = JSON.parse(await fs.readFile(file, 'utf8')) as Intent;
      } catch {
        continue; // written whole or not at all; unreadable means another process just removed it
      }
      if (await this.isRunning(file, intent)) continue;
      found.push({ file, intent });
    }
    return found;
  }

  /**
   * Whether a running command is putting a file at `dest` now (an add or a move whose intent names it): the file
   * found there without a row is that command's, between its placing and its row.
   */
  async placing(dest: string): Promise<boolean> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
      const file = path.join(this.dir, name);
      const intent = await fs
        .readFile(file, 'utf8')
        .then((text) => JSON.parse(text) as Intent)
        .catch(() => undefined);
      const target = intent?.op === 'add' ? intent.dest : intent?.op === 'move' ? intent.to : undefined;
      if (intent && target === dest && (await this.isRunning(file, intent))) return true;
    }
    return false;
  }

  /**
   * Running intents, other than `own` (one or several of this command's), that move, remove or sign the record `id`:
   * two such changes of one record may not overlap (each moves, deletes or replaces the file the other reads), so
   * the later one to look gives way.
   */
  async changing(id: number, own: string | readonly string[]): Promise<Intent[]> {
    const mine = typeof own === 'string' ? [own] : own;
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const found: Intent[] = [];
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
      const file = path.join(this.dir, name);
      if (mine.includes(file)) continue;
      const intent = await fs
        .readFile(file, 'utf8')
        .then((text) => JSON.parse(text) as Intent)
        .catch(() => undefined);
      if (!intent || intent.op === 'add' || intent.id !== id) continue;
      if (await this.isRunning(file, intent)) found.push(intent);
      // a writer that is gone: its lock, taken to find that out, is not kept (recovery takes it again)
      else if (intent.held && this.liveness && !Journal.inFlight.has(file)) await this.liveness.release(file).catch(() => {});
    }
    return found;
  }

  private async isRunning(file: string, intent: Intent): Promise<boolean> {
    const here = intent.hostTag === HOST_TAG && intent.pid === process.pid;
    if (here && Journal.inFlight.has(file)) return true; // ours, in progress (advisory locks are re-entrant)
    if (intent.held && this.liveness) {
      if (!(await this.liveness.claim(file))) return true;
      // its writer may have finished between our read and the claim (it removes the file, then unlocks)
      if (
        await fs.stat(file).then(
          () => true,
          () => false,
        )
      )
        return false;
      await this.liveness.release(file);
      return true;
    }
    return processRunning(intent, here);
  }
}

function processRunning(intent: Intent, here: boolean): boolean {
  if (intent.hostTag === undefined) return legacyRunning(intent);
  if (intent.hostTag !== HOST_TAG) return true; // another node on a shared folder: only it can judge its processes
  if (here) return false; // not in flight here: a dead process whose pid we reuse
  return pidRunning(intent.pid);
}

/**
 * An intent of an earlier version names only the host name, which a container (or another machine) of the same
 * name shares while counting its own pids: its pid proves nothing here. It counts as running until it is older than
 * the temp files' age limit (no change takes that long), and as running while a process of its pid runs here.
 */
function legacyRunning(intent: Intent): boolean {
  if (intent.host !== os.hostname()) return true;
  const started = Date.parse(intent.startedAt);
  if (!(Date.now() - started > DEFAULT_TEMP_MAX_AGE_MS)) return true; // young, or no readable start: keep it
  return pidRunning(intent.pid);
}

function pidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
